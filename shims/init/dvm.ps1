# dvm shell integration for PowerShell. Load it from $PROFILE with:
#   dvm init pwsh | Out-String | Invoke-Expression
# Evaluating it again changes nothing.

# The shims folder goes first on PATH, exactly once.
$__dvmShims = '__DVM_SHIMS__'
$__dvmSeparator = [System.IO.Path]::PathSeparator
# Folder names compare like the file system does: exactly on Linux and macOS.
$__dvmComparison = if ($IsLinux -or $IsMacOS) { 'Ordinal' } else { 'OrdinalIgnoreCase' }
$__dvmKept = @(if ($env:PATH) {
        $env:PATH -split [regex]::Escape($__dvmSeparator) |
            Where-Object { -not [string]::Equals($_, $__dvmShims, $__dvmComparison) }
    })
$env:PATH = (@($__dvmShims) + $__dvmKept) -join $__dvmSeparator
Remove-Variable __dvmShims, __dvmSeparator, __dvmComparison, __dvmKept

$env:DVM_SHELL_INTEGRATION = 'pwsh'
# Lets the shim find dvm when DVM_AUTO_INSTALL is on.
$env:DVM_EXE = '__DVM_EXE__'

# `dvm use` and `dvm detect` change this shell: dvm prints PowerShell code on stdout (nothing for
# `use --global` / `--local`) and messages on stderr; the code is evaluated only on success.
# The exit code is left in $LASTEXITCODE.
function global:dvm {
    if ($args.Count -gt 0 -and ($args[0] -ceq 'use' -or $args[0] -ceq 'detect')) {
        $code = & '__DVM_EXE__' @args --shell-eval pwsh
        $exitCode = $LASTEXITCODE
        if ($exitCode -eq 0 -and $code) {
            Invoke-Expression ($code -join [Environment]::NewLine)
        }
        $global:LASTEXITCODE = $exitCode
    } else {
        & '__DVM_EXE__' @args
    }
}

# >>> dvm use-on-cd >>>
# At each prompt: a `dvm use` choice lasts until this shell enters the scope of another version
# file, which then rules (dvm prints the code that clears the choice). Leaving a project keeps it.
function global:__dvm_use_on_cd {
    $code = & '__DVM_EXE__' current --shell-eval pwsh
    if ($LASTEXITCODE -eq 0 -and $code) {
        Invoke-Expression ($code -join [Environment]::NewLine)
    }
}
# The prompt is wrapped once, however often this script is evaluated.
if (-not $global:__dvmOriginalPrompt) {
    $global:__dvmOriginalPrompt = $function:prompt
    function global:prompt {
        $lastExit = $global:LASTEXITCODE
        __dvm_use_on_cd
        $global:LASTEXITCODE = $lastExit
        & $global:__dvmOriginalPrompt
    }
}
# <<< dvm use-on-cd <<<
