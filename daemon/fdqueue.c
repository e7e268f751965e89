/* placeholder: fdqueue */
