package main

// completionScripts are what "portreach completion SHELL" prints. Each one only
// collects the words before the cursor and the word under it, asks
// "portreach __complete" (complete.go), and hands the answer to the shell:
// values ending in ":", "=" or "," get no space after them (-o json:FILE,
// --profile a,b); no answer means file names.
var completionScripts = map[string]string{
	"bash":       bashCompletion,
	"zsh":        zshCompletion,
	"fish":       fishCompletion,
	"powershell": powershellCompletion,
}

const bashCompletion = `# bash completion for portreach
# Load it:    source <(portreach completion bash)
# Install it: portreach completion bash > /etc/bash_completion.d/portreach

_portreach() {
    local cur=${COMP_WORDS[COMP_CWORD]} words=() word out line strip
    # bash splits "--format=js" and "-o json:f" at = and : (COMP_WORDBREAKS);
    # portreach wants the words as typed, so the line is split at blanks again.
    if [[ -n ${COMP_LINE-} ]]; then
        read -ra words <<<"${COMP_LINE:0:COMP_POINT}"
        [[ ${COMP_LINE:0:COMP_POINT} == *[[:blank:]] ]] && words+=("")
    else
        words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
    fi
    (( ${#words[@]} >= 2 )) || words+=("")
    word=${words[${#words[@]}-1]}
    out=$("${words[0]}" __complete --cur="$word" -- "${words[@]:1:${#words[@]}-2}" 2>/dev/null) || return 0
    # A candidate replaces bash's current word, which may be only the end of ours.
    strip=$(( ${#word} - ${#cur} ))
    (( strip >= 0 )) || strip=0
    COMPREPLY=()
    while IFS= read -r line; do
        [[ -n $line ]] || continue
        line=${line%%$'\t'*}
        COMPREPLY+=("${line:strip}")
        [[ $line == *[:=,] ]] && compopt -o nospace 2>/dev/null
    done <<<"$out"
    return 0
}

complete -o default -F _portreach portreach
`

const zshCompletion = `#compdef portreach
# zsh completion for portreach
# Load it:    source <(portreach completion zsh)
# Install it: portreach completion zsh > "${fpath[1]}/_portreach"

_portreach() {
  local -a lines plain glued
  local line val desc
  lines=("${(@f)$(${words[1]} __complete --cur="${words[CURRENT]}" -- "${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  for line in "${lines[@]}"; do
    [[ -n $line ]] || continue
    val=${line%%$'\t'*}
    desc=""
    [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
    # _describe reads "VALUE:DESCRIPTION"; a colon in the value is escaped.
    val=${val//:/\\:}
    if [[ $val == *(\\:|=|,) ]]; then
      glued+=("$val${desc:+:$desc}")
    else
      plain+=("$val${desc:+:$desc}")
    fi
  done
  if (( ${#plain} + ${#glued} == 0 )); then
    [[ ${words[CURRENT]} == *:* ]] && compset -P '*:'
    _files
    return
  fi
  (( ${#plain} )) && _describe -t values portreach plain
  (( ${#glued} )) && _describe -t values portreach glued -S ''
  return 0
}

if [[ $funcstack[1] == _portreach ]]; then
  _portreach "$@"
else
  compdef _portreach portreach
fi
`

const fishCompletion = `# fish completion for portreach
# Load it:    portreach completion fish | source
# Install it: portreach completion fish > ~/.config/fish/completions/portreach.fish

function __portreach_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($words[1] __complete --cur=$cur -- $words[2..-1] 2>/dev/null)
    if test (count $out) -eq 0
        # A file name, after FORMAT: in -o json:FILE.
        set -l pre (string match -r -- '^[a-z]+:' $cur)
        set -l path (string replace -r -- '^[a-z]+:' '' $cur)
        for p in (__fish_complete_path $path)
            printf '%s%s\n' "$pre" $p
        end
        return
    end
    printf '%s\n' $out
end

complete -c portreach -f -a '(__portreach_complete)'
`

const powershellCompletion = `# PowerShell completion for portreach
# Load it:  portreach completion powershell | Out-String | Invoke-Expression
# Keep it:  add that line to $PROFILE

Register-ArgumentCompleter -Native -CommandName 'portreach', 'portreach.exe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $elements = @($commandAst.CommandElements)
    $exe = $elements[0].Extent.Text
    # The words before the cursor; the word under it ends at the cursor.
    $before = @($elements | Select-Object -Skip 1 |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } |
        ForEach-Object { $_.Extent.Text })
    # The current word goes as --cur=WORD: PowerShell before 7.3 drops empty
    # arguments to native commands, and some versions drop a bare --.
    $out = @(& $exe __complete "--cur=$wordToComplete" @before 2>$null)
    foreach ($line in $out) {
        if ([string]::IsNullOrEmpty($line)) { continue }
        $parts = $line -split "` + "`" + `t", 2
        $value = $parts[0]
        $tip = if ($parts.Count -gt 1 -and $parts[1]) { $parts[1] } else { $value }
        $text = $value
        if ($value -match '[\s,;''"` + "`" + `$(){}@#|&<>]') {
            $text = "'" + $value.Replace("'", "''") + "'"
        }
        [System.Management.Automation.CompletionResult]::new($text, $value, 'ParameterValue', $tip)
    }
}
`
