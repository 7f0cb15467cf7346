# kv-check-aof fish shell completion

function __fish_kv-check-aof_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l fix -d 'truncate the last file back to its last valid command'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l yes -s y -d 'do not ask for confirmation before changing files'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -l backup -r -d 'directory for the backups of changed files (default: NAME.bak next to the file)'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l force-truncate-middle -d 'with --fix: also repair damage in a file that is not the last, dropping the later files'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l truncate-to-timestamp -r -d 'cut the AOF at the first #TS: annotation later than `TS` (unix seconds)'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l json -d 'print the report as JSON'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l stats -d 'add per-command counts'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l dump -d 'print the commands as a readable stream (db, timestamp, command, escaped arguments)'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l db -r -d 'with --dump: only commands run in database `N`'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l command -r -d 'with --dump: only commands named `NAME` (repeatable, case-insensitive)'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l key -r -d 'with --dump: only commands whose first argument matches `REGEX`'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l help -s h -d 'show help'
complete -c kv-check-aof -n '__fish_kv-check-aof_no_subcommand' -f -l version -s v -d 'print the version'
