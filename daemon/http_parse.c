/* placeholder: http_parse */
