# dvm shell integration for fish. Load it from ~/.config/fish/config.fish with:
#   dvm init fish | source
# Evaluating it again changes nothing.

# The shims folder goes first on PATH, exactly once.
set -l __dvm_shims '__DVM_SHIMS__'
while set -l __dvm_index (contains --index -- $__dvm_shims $PATH)
    set -e PATH[$__dvm_index]
end
set -gx PATH $__dvm_shims $PATH

set -gx DVM_SHELL_INTEGRATION fish
# Lets the shim find dvm when DVM_AUTO_INSTALL is on.
set -gx DVM_EXE '__DVM_EXE__'

# `dvm use` and `dvm detect` change this shell: dvm prints shell code on stdout (nothing for
# `use --global` / `--local`) and messages on stderr; the code is evaluated only on success.
function dvm --description 'Docker client version manager'
    switch "$argv[1]"
        case use detect
            set -l code (command '__DVM_EXE__' $argv --shell-eval fish)
            set -l code_status $status
            if test $code_status -eq 0; and test (count $code) -gt 0
                printf '%s\n' $code | source
                set code_status $status
            end
            return $code_status
        case '*'
            command '__DVM_EXE__' $argv
    end
end

# >>> dvm use-on-cd >>>
# On a directory change, DVM_DOCKER_VERSION follows the version files of the new folder. dvm is
# asked with the variable cleared, or the variable it set before would keep winning.
function __dvm_use_on_cd --on-variable PWD
    set -l code (DVM_DOCKER_VERSION= command '__DVM_EXE__' current --shell-eval fish)
    if test $status -eq 0; and test (count $code) -gt 0
        printf '%s\n' $code | source
    end
end
__dvm_use_on_cd
# <<< dvm use-on-cd <<<
