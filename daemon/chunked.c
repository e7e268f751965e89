/* placeholder: chunked */
