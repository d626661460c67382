#!/bin/sh
# Test stand-in for the part of OpenWRT's /lib/functions.sh an init script uses to read uci: config_load,
# config_get and config_get_bool, answered by the uci stand-in from /etc/config/<package>.
config_load() { CONFIG_PACKAGE=$1; }
config_get() {
	local __cg_value
	__cg_value=$(uci -q get "$CONFIG_PACKAGE.$2.$3") || __cg_value=$4
	eval "$1=\$__cg_value"
}
config_get_bool() {
	local __cgb_value
	config_get __cgb_value "$2" "$3" "$4"
	case "$__cgb_value" in 1|on|true|yes|enabled) __cgb_value=1 ;; *) __cgb_value=0 ;; esac
	eval "$1=\$__cgb_value"
}

# Stand-ins for the package-script helpers of OpenWRT 25.12 (apk): they act on the package's file list,
# $root/lib/apk/packages/$pkgname.list, as OpenWRT's do, and record each call in /tmp/scripts.log.
add_group_and_user() { echo "add_group_and_user $pkgname" >> /tmp/scripts.log; }
default_postinst() {
	local list="$root/lib/apk/packages/$pkgname.list" i
	echo "default_postinst $pkgname upgrade=${PKG_UPGRADE:-0}" >> /tmp/scripts.log
	[ -f "$list" ] || { echo "default_postinst: no $list" >&2; return 1; }
	# On a live system: the package's uci-defaults run once (and go when they succeed), its services are enabled
	# (not again on an upgrade) and started.
	if [ -z "$root" ]; then
		for i in $(sed -ne 's!^/etc/uci-defaults/!!p' "$list"); do
			# Sourced in a subshell, so the script's own "exit 0" ends only that.
			(cd /etc/uci-defaults && [ -f "$i" ] && . "./$i") && rm -f "/etc/uci-defaults/$i" && echo "uci-defaults $i" >> /tmp/scripts.log
		done
	fi
	for i in $(grep "^/etc/init.d/" "$list"); do
		[ "$PKG_UPGRADE" = 1 ] || "$root$i" enable
		[ -n "$root" ] || "$i" start
	done
	return 0
}
default_prerm() {
	local list="$root/lib/apk/packages/$pkgname.list" i
	echo "default_prerm $pkgname" >> /tmp/scripts.log
	for i in $(grep "^/etc/init.d/" "$list"); do
		"$root$i" disable
		"$root$i" stop
	done
	return 0
}
