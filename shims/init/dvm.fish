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
# At each prompt: a `dvm use` choice lasts until this shell enters the scope of another version
# file, which then rules (dvm prints the code that clears the choice). Leaving a project keeps it.
# On each cd, and before each prompt (so that `dvm local` takes effect at once).
function __dvm_use_on_cd --on-variable PWD --on-event fish_prompt
    set -l code (command '__DVM_EXE__' current --shell-eval fish)
    if test $status -eq 0; and test (count $code) -gt 0
        printf '%s\n' $code | source
    end
end
__dvm_use_on_cd
# <<< dvm use-on-cd <<<
