/* placeholder: http_date */
