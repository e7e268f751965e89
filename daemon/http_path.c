/* placeholder: http_path */
