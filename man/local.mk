dist_man_MANS += %reldir%/evhttpd.8 %reldir%/evhttpd.conf.5 %reldir%/evctl.8
dist_man_MANS += %reldir%/evtop.1
