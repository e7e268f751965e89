# systemd units, tmpfiles.d, sysusers.d, logrotate and the production configuration.
EXTRA_DIST += %reldir%/systemd/evhttpd.service %reldir%/systemd/evhttpd.socket \
	%reldir%/tmpfiles.d/evhttpd.conf %reldir%/sysusers.d/evhttpd.conf \
	%reldir%/logrotate/evhttpd %reldir%/conf/evhttpd.conf
