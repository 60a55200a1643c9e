# dvm shell integration for zsh. Load it from ~/.zshrc with:
#   eval "$(dvm init zsh)"
# Evaluating it again (a re-sourced .zshrc) changes nothing.

# The shims folder goes first on PATH, exactly once.
() {
    local shims='__DVM_SHIMS__' dir
    local -a kept
    for dir in "${path[@]}"; do
        [[ "$dir" == "$shims" ]] || kept+=("$dir")
    done
    path=("$shims" "${kept[@]}")
}
export PATH
rehash

export DVM_SHELL_INTEGRATION=zsh
# Lets the shim find dvm when DVM_AUTO_INSTALL is on.
export DVM_EXE='__DVM_EXE__'

# `dvm use` and `dvm detect` change this shell: dvm prints shell code on stdout (nothing for
# `use --global` / `--local`) and messages on stderr; the code is evaluated only on success.
dvm() {
    case "${1-}" in
        use | detect)
            local __dvm_code __dvm_status
            __dvm_code="$(command '__DVM_EXE__' "$@" --shell-eval zsh)"
            __dvm_status=$?
            if [[ $__dvm_status -eq 0 && -n "$__dvm_code" ]]; then
                eval "$__dvm_code"
                __dvm_status=$?
            fi
            return $__dvm_status
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
    local __dvm_code
    if __dvm_code="$(command '__DVM_EXE__' current --shell-eval zsh)" \
        && [[ -n "$__dvm_code" ]]; then
        eval "$__dvm_code"
    fi
}
autoload -Uz add-zsh-hook
# On each cd, and before each prompt (so that `dvm local` takes effect at once).
add-zsh-hook chpwd __dvm_use_on_cd
add-zsh-hook precmd __dvm_use_on_cd
__dvm_use_on_cd
# <<< dvm use-on-cd <<<
