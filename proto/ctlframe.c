/* placeholder: ctlframe */
