# bash completion for tetherctl: verbs, global options, container ids.
_tetherctl_ids() {
	local root=${TETHER_ROOT:-/run/tether} i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root) root=${COMP_WORDS[i + 1]} ;;
		--root=*) root=${COMP_WORDS[i]#--root=} ;;
		esac
	done
	ls -1 "$root/containers" 2>/dev/null
}

_tetherctl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verbs="create start run exec attach kill stop rm ps logs wait inspect pause resume
		resize top stats update checkpoint restore events gc generate"
	local globals="--root --runtime --shim --log-level --version --help"
	case $prev in
	--root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--runtime | --shim) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--log-level) COMPREPLY=($(compgen -W "error warn info debug trace" -- "$cur")); return ;;
	esac
	local i verb=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root | --runtime | --shim | --log-level) ((i++)) ;;
		-*) ;;
		*) verb=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$verb" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--help" -- "$cur"))
		return
	fi
	case $prev in
	--sdnotify) COMPREPLY=($(compgen -W "shim container ignore" -- "$cur")); return ;;
	esac
	if [ "$verb" = generate ] && [ "$prev" = generate ]; then
		COMPREPLY=($(compgen -W "systemd" -- "$cur"))
		return
	fi
	case $verb in
	create | run | ps | events | gc) ;;
	*) COMPREPLY=($(compgen -W "$(_tetherctl_ids)" -- "$cur")) ;;
	esac
}
complete -F _tetherctl tetherctl
