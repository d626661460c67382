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
