/* placeholder: lfstack */
