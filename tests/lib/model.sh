# SPDX-License-Identifier: GPL-2.0
# An independent model of a memtrack tree, kept by the in-VM scripts that
# drive the exerciser, so they compute expected totals and peaks themselves
# instead of reading them back from the module (sourced; bash).
# Keys are exerciser paths; allocation leaves get PARENT/#SEQ.  ORDER is the
# creation order, which is also the order of siblings in every view.
# shellcheck shell=bash

declare -A PARENT SELF COUNT PEAK LEAF NAME
ORDER=()

m_create() { # KEY PARENT NAME
	ORDER+=("$1")
	PARENT[$1]=$2 SELF[$1]=0 COUNT[$1]=0 PEAK[$1]=0 LEAF[$1]=0 NAME[$1]=$3
}

m_total() { # KEY: own bytes plus the subtree's
	local t=${SELF[$1]} c
	for c in "${ORDER[@]}"; do
		[ "${PARENT[$c]}" = "$1" ] && t=$((t + $(m_total "$c")))
	done
	echo "$t"
}

m_peaks() { # raise every peak to the current total
	local k t
	for k in "${ORDER[@]}"; do
		t=$(m_total "$k")
		[ "$t" -gt "${PEAK[$k]}" ] && PEAK[$k]=$t
	done
}

m_remove() { # KEY: remove it and its subtree
	local k keep=()
	for k in "${ORDER[@]}"; do
		[ "$k" = "$1" ] || [[ $k == "$1"/* ]] || keep+=("$k")
	done
	ORDER=("${keep[@]}")
}
