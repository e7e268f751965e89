# The bundled default configuration and docroot (used by ./dev run and the tests).
EXTRA_DIST += %reldir%/evhttpd.conf htdocs/index.html
