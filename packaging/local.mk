# What `make install` puts beside the programs and man pages: the systemd units, the
# sysusers.d and tmpfiles.d entries, the logrotate stanza, the production
# configuration and the default page. The files name /usr/sbin, /usr/bin and /etc,
# the paths of a distribution package; the copies are rewritten for this build's
# sbindir, bindir and sysconfdir (a no-op for --prefix=/usr --sysconfdir=/etc).
PACKAGING_FILES = %reldir%/systemd/evhttpd.service %reldir%/systemd/evhttpd.socket \
	%reldir%/tmpfiles.d/evhttpd.conf %reldir%/sysusers.d/evhttpd.conf \
	%reldir%/logrotate/evhttpd %reldir%/conf/evhttpd.conf %reldir%/default-site/index.html
EXTRA_DIST += $(PACKAGING_FILES)

packaging_rewrite = sed -e 's|/usr/sbin/evhttpd|$(sbindir)/evhttpd|g' \
	-e 's|/usr/bin/evctl|$(bindir)/evctl|g' -e 's|/etc/evhttpd/|$(sysconfdir)/evhttpd/|g'

# install_rewritten SRC DESTDIR-RELATIVE-DIR NAME MODE
install_rewritten = install_rewritten() { \
	$(MKDIR_P) "$(DESTDIR)$$2" && \
	$(packaging_rewrite) "$(srcdir)/$$1" > "$(DESTDIR)$$2/$$3.tmp" && \
	chmod $$4 "$(DESTDIR)$$2/$$3.tmp" && mv -f "$(DESTDIR)$$2/$$3.tmp" "$(DESTDIR)$$2/$$3"; }; install_rewritten

install-data-local: install-packaging
uninstall-local: uninstall-packaging

install-packaging:
	$(install_rewritten) packaging/systemd/evhttpd.service "$(systemdsystemunitdir)" evhttpd.service 644
	$(install_rewritten) packaging/systemd/evhttpd.socket "$(systemdsystemunitdir)" evhttpd.socket 644
	$(install_rewritten) packaging/sysusers.d/evhttpd.conf "$(sysusersdir)" evhttpd.conf 644
	$(install_rewritten) packaging/tmpfiles.d/evhttpd.conf "$(tmpfilesdir)" evhttpd.conf 644
	$(install_rewritten) packaging/logrotate/evhttpd "$(sysconfdir)/logrotate.d" evhttpd 644
	$(install_rewritten) packaging/conf/evhttpd.conf "$(sysconfdir)/evhttpd" evhttpd.conf 644
	$(MKDIR_P) "$(DESTDIR)$(sysconfdir)/evhttpd/conf.d"
	$(install_rewritten) packaging/default-site/index.html "$(pkgdatadir)/default-site" index.html 644

uninstall-packaging:
	rm -f "$(DESTDIR)$(systemdsystemunitdir)/evhttpd.service" "$(DESTDIR)$(systemdsystemunitdir)/evhttpd.socket" \
		"$(DESTDIR)$(sysusersdir)/evhttpd.conf" "$(DESTDIR)$(tmpfilesdir)/evhttpd.conf" \
		"$(DESTDIR)$(sysconfdir)/logrotate.d/evhttpd" "$(DESTDIR)$(sysconfdir)/evhttpd/evhttpd.conf" \
		"$(DESTDIR)$(pkgdatadir)/default-site/index.html"
	-rmdir "$(DESTDIR)$(sysconfdir)/evhttpd/conf.d" "$(DESTDIR)$(sysconfdir)/evhttpd" \
		"$(DESTDIR)$(pkgdatadir)/default-site" "$(DESTDIR)$(pkgdatadir)" 2>/dev/null

.PHONY: install-packaging uninstall-packaging

# distcheck installs as an unprivileged user beneath its own prefix.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemdsystemunitdir='$${prefix}/lib/systemd/system' \
	--with-sysusersdir='$${prefix}/lib/sysusers.d' --with-tmpfilesdir='$${prefix}/lib/tmpfiles.d'

# The distribution packaging and its tests (./dev deb, ./dev rpm, ./dev package-test).
EXTRA_DIST += LICENSE %reldir%/build-deb.sh \
	%reldir%/debian/changelog %reldir%/debian/control %reldir%/debian/copyright \
	%reldir%/debian/rules %reldir%/debian/source/format %reldir%/debian/evhttpd.docs \
	%reldir%/debian/evhttpd.postinst %reldir%/debian/evhttpd.postrm \
	%reldir%/debian/evhttpd.lintian-overrides \
	%reldir%/rpm/evhttpd.spec %reldir%/rpm/build-rpm.sh \
	tests/package/deb-install.sh tests/package/same-tree.sh tests/valgrind/memcheck.sh
