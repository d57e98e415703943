# bash completion for l3nft(8) and l3nftd(8)                 -*- shell-script -*-
#
# Installed as /usr/share/bash-completion/completions/l3nft (with a link
# named l3nftd); works with or without the bash-completion package:
#   . completion/l3nft.bash
#
# Completes the commands, each command's options, policy files (*.yaml,
# *.yml and directories) for FILE, and namespace names for exec, listen
# and unlisten, read (by `l3nft names`) from the policy given with -c FILE
# on the line, else from /etc/l3nft/l3nft.yaml, with its drop-ins.

# The policy file that namespace names are read from; tests set it.
: "${L3NFT_COMPLETION_POLICY:=/etc/l3nft/l3nft.yaml}"

# The l3nft that reads the policy; tests set it.
: "${L3NFT_COMPLETION_BIN:=l3nft}"

# Prints the namespace names of policy $1 and its drop-ins, as l3nft
# itself reads them (`l3nft names`, a command for scripts): nothing when
# the policy is invalid or unreadable.
_l3nft_namespaces()
{
    local file=$1
    [[ $file == "~/"* ]] && file=$HOME/${file#"~/"}
    [[ -r $file && -f $file ]] || return 0
    "$L3NFT_COMPLETION_BIN" names -- "$file" 2>/dev/null
}

# Sets COMPREPLY to the policy files that complete $1.
_l3nft_files()
{
    local cur=$1
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir '@(yaml|yml)'
        return
    fi
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.yaml' -- "$cur")
        $(compgen -f -X '!*.yml' -- "$cur"))
}

# Sets COMPREPLY to the directories that complete $1.
_l3nft_dirs()
{
    local cur=$1
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir -d
        return
    fi
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur"))
}

_l3nft()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    local -a words=("${COMP_WORDS[@]}")
    local cword=$COMP_CWORD
    COMPREPLY=()
    ((cword > 0)) && prev=${words[cword - 1]}

    local commands="check compile apply diff delete status exec sync listen unlisten listeners"

    # The command: the first word after l3nft.
    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help -V --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return 0
    fi
    local cmd=${words[1]}

    # Walk the words before the cursor: the -c FILE, whether "--" was
    # seen, and how many positional arguments there are.
    local policy=$L3NFT_COMPLETION_POLICY dashdash=0 npos=0 i w
    for ((i = 2; i < cword; i++)); do
        w=${words[i]}
        if ((dashdash)); then
            continue
        fi
        case $w in
            --) dashdash=$i ;;
            -c | --config)
                ((i + 1 < cword)) && policy=${words[i + 1]}
                ((i++)) ;;
            -u | --user) ((i++)) ;;
            -c?*) policy=${w#-c} ;;
            --config=*) policy=${w#--config=} ;;
            --cgroup-mount | --format)
                ((i++))
                # "--cgroup-mount=DIR" comes as three words when '=' breaks words
                [[ ${words[i]} == = ]] && ((i++)) ;;
            -*) ;;
            =) ;;
            *) ((npos++)) ;;
        esac
    done

    # exec NAME ... -- CMD [ARG...]: after "--", complete the command.
    if [[ $cmd == exec ]] && ((dashdash)); then
        if declare -F _command_offset >/dev/null 2>&1; then
            _command_offset $((dashdash + 1))
        elif ((cword == dashdash + 1)); then
            COMPREPLY=($(compgen -c -- "$cur"))
        else
            local IFS=$'\n'
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        return 0
    fi

    # The argument of an option.
    case $prev in
        -c | --config)
            _l3nft_files "$cur"
            return 0 ;;
        -u | --user)
            [[ $cmd == exec ]] && { COMPREPLY=($(compgen -u -- "$cur")); return 0; } ;;
        --cgroup-mount)
            [[ $cmd == compile ]] && { _l3nft_dirs "$cur"; return 0; } ;;
        --format)
            [[ $cmd == status ]] && { COMPREPLY=($(compgen -W "text json openmetrics" -- "$cur")); return 0; } ;;
        =)
            if [[ $cmd == compile && ${words[cword - 2]} == --cgroup-mount ]]; then
                _l3nft_dirs "$cur"
                return 0
            fi
            if [[ $cmd == status && ${words[cword - 2]} == --format ]]; then
                COMPREPLY=($(compgen -W "text json openmetrics" -- "$cur"))
                return 0
            fi ;;
    esac
    if [[ $cmd == compile && $cur == --cgroup-mount=* ]]; then
        _l3nft_dirs "${cur#--cgroup-mount=}"
        COMPREPLY=("${COMPREPLY[@]/#/--cgroup-mount=}")
        return 0
    fi

    local opts= file=0 names=0
    case $cmd in
        check) opts="-c"; file=1 ;;
        compile) opts="--cgroup-mount --defines -c"; file=1 ;;
        apply | delete) opts="--dry-run -v --force -c"; file=1 ;;
        diff) opts="-v -c"; file=1 ;;
        status) opts="--json --format --check -c"; file=1 ;;
        listeners) opts="--json" ;;
        exec) opts="-c -u --user --keep-net-raw --"; names=1 ;;
        sync) opts="-c"; names=1 ;;
        listen | unlisten) names=1 ;;
        *) return 0 ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return 0
    fi
    # one FILE at most
    if ((file)); then
        ((npos == 0)) && _l3nft_files "$cur"
        return 0
    fi
    # NAME first; exec then offers its options (and "--"), listen and
    # unlisten take ADDR:PORT/udp, of which "broadcast:" is the one fixed word.
    if ((names)); then
        if ((npos == 0)); then
            COMPREPLY=($(compgen -W "$(_l3nft_namespaces "$policy")" -- "$cur"))
        elif [[ $cmd == sync ]]; then
            ((npos == 1)) && _l3nft_files "$cur"
        elif [[ $cmd == exec ]]; then
            COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        elif ((npos == 1)) && [[ $cmd == listen || $cmd == unlisten ]]; then
            COMPREPLY=($(compgen -W "broadcast:" -- "$cur"))
            compopt -o nospace 2>/dev/null
        fi
    fi
    return 0
}
complete -F _l3nft l3nft

_l3nftd()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    if [[ $prev == -c ]]; then
        _l3nft_files "$cur"
    elif [[ $cur == -* || -z $cur ]]; then
        COMPREPLY=($(compgen -W "-c -f" -- "$cur"))
    fi
    return 0
}
complete -F _l3nftd l3nftd

# ex: filetype=sh
