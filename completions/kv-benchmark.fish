# kv-benchmark fish shell completion

function __fish_kv-benchmark_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i
            return 1
        end
    end
    return 0
end

complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l host -s h -r -d 'server hostname'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l port -s p -r -d 'server port'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l socket -s s -r -d 'server unix socket (overrides host and port)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l password -s a -r -d 'password for AUTH'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l user -r -d 'ACL user for AUTH user password (needs -a)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l dbnum -r -d 'SELECT this database number first'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l resp3 -s 3 -d 'start each connection with HELLO 3 (RESP3)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l clients -s c -r -d 'number of parallel connections'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l requests -s n -r -d 'total number of requests per test'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l datasize -s d -r -d 'value size of SET/GET and the other built-in tests, in bytes'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l keyspacelen -s r -r -d 'use random keys 0..N-1 for `__rand_int__` (SET/GET/INCR keys, SADD/HSET/ZADD members)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l pipeline -s P -r -d 'pipeline N requests per round trip'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l quiet -s q -d 'quiet: one line per test, as redis-benchmark -q'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l precision -r -d 'decimal places of latencies in the table'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l csv -d 'output in CSV, as redis-benchmark --csv'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l loop -s l -d 'run the tests forever'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l tests -s t -r -d 'comma separated list of tests to run'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l idle -s I -d 'idle mode: open N connections and wait'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l show-errors -s e -d 'accepted for redis-benchmark compatibility: errors are always counted and their first messages shown'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l stdin-arg -s x -d 'read the last argument of the command from standard input'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l threads -r -d 'number of threads (OS threads running connections; default 1, as redis-benchmark\'s single event loop)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l cluster -d 'cluster mode: discover masters with CLUSTER SLOTS, tag keys per node, follow MOVED/ASK'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l test-time -r -d 'run each test for SECONDS instead of -n requests'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l rps -r -d 'limit the total rate to N requests per second; latency counts from the intended send time'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l ratio -r -d 'run a SET:GET mix in this ratio (e.g. 1:10) instead of the built-in tests'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l key-pattern -r -d 'key distribution: random (R), sequential (S), gaussian (G) or zipf (Z); SET:GET form for --ratio'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l key-prefix -r -d 'key prefix of --ratio keys'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l key-minimum -r -d 'smallest key number'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l key-maximum -r -d 'largest key number (default: -r minus 1, or 9999999)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l key-zipf-exp -r -d 'exponent of the zipf key pattern, in (0, 10]'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l key-stddev -r -d 'standard deviation of the gaussian key pattern (default: range/6)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l data-size-range -r -d 'draw each value size from MIN-MAX bytes instead of -d'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l seed -r -d 'random seed, for repeatable key sequences (default: from the clock)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l distinct-client-seed -d 'with --seed, give each connection its own seed (else all walk the same sequence)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l warmup -r -d 'send load for SECONDS before measuring each test'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l hdr-out -r -d 'write PREFIX-TEST.hlog (HdrHistogram log) and PREFIX-TEST.hgrm per test'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l json -r -d 'write configuration and results as JSON to FILE'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l plot -r -d 'write a latency percentile plot to FILE (.svg or .png)'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l help -d 'show help'
complete -c kv-benchmark -n '__fish_kv-benchmark_no_subcommand' -f -l version -s v -d 'print the version'
