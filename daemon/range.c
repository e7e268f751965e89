/* placeholder: range */
