/* placeholder: accesslog */
