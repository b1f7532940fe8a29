# Prints the candidates zsh's completion system offers for a command line, one per line:
#   zsh -f zsh-complete.zsh '<buffer>' <completion script>
# A real interactive zsh (zpty) with compinit; the buffer is typed and TAB pressed, and every
# candidate passed to compadd is written to a file (not the terminal, where zle's redisplay
# could split it) and printed. The key runs a widget that completes and then writes a marker, and
# nothing more is typed until the marker is read: input typed ahead of a completion can make zle
# skip it (seen on a loaded machine). Ends when the shell has run the next command, so no wait is
# timed.
zmodload zsh/zpty || exit 2
found=$(mktemp)
zpty z zsh -f -i
zpty -w z "PROMPT= ; RPROMPT= ; unsetopt zle_bracketed_paste"
zpty -w z "autoload -U compinit; compinit -u -d \${TMPDIR:-/tmp}/dg-zcompdump.\$\$"
zpty -w z "source ${2}"
zpty -w z "zstyle ':completion:*' menu no"
zpty -w z 'compadd() { local -a h; builtin compadd -O h "$@"; print -rl -- "${h[@]}" >>'"'$found'"'; builtin compadd "$@"; }'
zpty -w z 'dg-complete() { zle complete-word; print -n -- "COMP""LETED" >$TTY; }; zle -N dg-complete; bindkey "^T" dg-complete'
zpty -w z "print -r -- RE''ADY"
zpty -r z line '*READY*'
zpty -n -w z "$1"$'\x14'
zpty -r z done '*COMPLETED*'
zpty -n -w z $'\x15'"print -r -- DO''NE"$'\n'
zpty -r z out '*DONE*'
zpty -d z
sort -u "$found"
rm -f "$found"
