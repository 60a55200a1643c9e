# dvm shell integration for bash. Load it from ~/.bashrc with:
#   eval "$(dvm init bash)"
# Evaluating it again (a re-sourced .bashrc) changes nothing.

# The shims folder goes first on PATH, exactly once.
__dvm_shims='__DVM_SHIMS__'
while [[ ":${PATH}:" == *":${__dvm_shims}:"* ]]; do
    PATH=":${PATH}:"
    PATH="${PATH/":${__dvm_shims}:"/:}"
    PATH="${PATH#:}"
    PATH="${PATH%:}"
done
export PATH="${__dvm_shims}${PATH:+:${PATH}}"
unset __dvm_shims
hash -r

export DVM_SHELL_INTEGRATION=bash
# Lets the shim find dvm when DVM_AUTO_INSTALL is on.
export DVM_EXE='__DVM_EXE__'

# `dvm use` and `dvm detect` change this shell: dvm prints shell code on stdout (nothing for
# `use --global` / `--local`) and messages on stderr; the code is evaluated only on success.
dvm() {
    case "${1-}" in
        use | detect)
            local __dvm_code __dvm_status
            __dvm_code="$(command '__DVM_EXE__' "$@" --shell-eval bash)"
            __dvm_status=$?
            if [ "$__dvm_status" -eq 0 ] && [ -n "$__dvm_code" ]; then
                eval "$__dvm_code"
                __dvm_status=$?
            fi
            return "$__dvm_status"
            ;;
        *)
            command '__DVM_EXE__' "$@"
            ;;
    esac
}

# >>> dvm use-on-cd >>>
# At each prompt: a `dvm use` choice lasts until this shell enters the scope of another version
# file, which then rules (dvm prints the code that clears the choice). Leaving a project keeps it.
__dvm_use_on_cd() {
    local __dvm_status=$?
    local __dvm_code
    if __dvm_code="$(command '__DVM_EXE__' current --shell-eval bash)" \
        && [ -n "$__dvm_code" ]; then
        eval "$__dvm_code"
    fi
    # Prompt commands that run after this one still see the last command's status.
    return "$__dvm_status"
}
case ";${PROMPT_COMMAND-};" in
    *";__dvm_use_on_cd;"*) ;;
    *) PROMPT_COMMAND="__dvm_use_on_cd${PROMPT_COMMAND:+;${PROMPT_COMMAND}}" ;;
esac
# <<< dvm use-on-cd <<<
