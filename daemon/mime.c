/* placeholder: mime */
