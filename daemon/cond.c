/* placeholder: cond */
