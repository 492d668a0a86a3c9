# bash completion for trapsim (installed by `make install`; or: source tools/completion/trapsim.bash)
_trapsim()
{
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    if [ "$COMP_CWORD" = 1 ]; then
        COMPREPLY=($(compgen -W "run raw scenario isa --help --version" -- "$cur"))
        return
    fi
    case $prev in
        --isa) COMPREPLY=($(compgen -W "$(trapsim isa list 2>/dev/null | cut -d' ' -f1)" -- "$cur")); return ;;
        --trace) COMPREPLY=($(compgen -W "insn trap io vmm pg vmx all" -- "$cur")); return ;;
        --break-on) COMPREPLY=($(compgen -W "trap vector mnemonic" -- "$cur")); return ;;
        --dot|--svg|--timeline|--trace-file|--stats) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --mem|--max-insns|--guest-ips|--cmdline|--gdb|--break|--success-exit|--quantum|--weight|--vm|--timeline-from)
            return ;;
    esac
    case $cmd in
        run)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--vmm --vmm=te --vmm=vtx --isa --expose-pg --cmdline --mem --max-insns
                    --guest-ips --trace --trace-file --no-color --stats --quiet --success-exit --no-cache --dot --svg
                    --timeline --timeline-from --step --break --break-on --gdb --gdb-verbose --vm --weight
                    --quantum" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -X '!*.elf' -- "$cur") $(compgen -d -- "$cur"))
            fi ;;
        scenario)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--check --update --list --no-color --dot --svg --timeline" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(trapsim scenario --list 2>/dev/null | cut -d' ' -f1)" -- "$cur")
                           $(compgen -f -X '!*.scn' -- "$cur"))
            fi ;;
        isa)
            if [ "$COMP_CWORD" = 2 ]; then
                COMPREPLY=($(compgen -W "list show" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(trapsim isa list 2>/dev/null | cut -d' ' -f1)" -- "$cur"))
            fi ;;
        raw)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--load --ring --set --mem --dump --isa --max-insns --tables --cr0 --cr4" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi ;;
    esac
}
complete -F _trapsim trapsim
