# kv-server fish shell completion

function __fish_kv-server_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l port -r -d 'TCP port to listen on (6379; 0 disables TCP)'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l bind -r -d 'addresses to listen on'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l dir -r -d 'working directory for RDB and AOF files'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l unixsocket -r -d 'path of a unix socket to listen on'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l requirepass -r -d 'password of the default user'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l daemonize -r -d 'yes to run in the background'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l loglevel -r -d 'debug, verbose, notice or warning'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l logfile -r -d 'log file (empty: standard output)'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l save -r -d 'snapshot points, "" to disable'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l appendonly -r -d 'yes to enable the append-only file'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l help -s h -d 'show help'
complete -c kv-server -n '__fish_kv-server_no_subcommand' -f -l version -s v -d 'print the version'
