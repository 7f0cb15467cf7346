// Package version holds the version strings every kvkit binary reports.
package version

// Version is kvkit's own release version, printed by --version.
const Version = "0.1.0"

// RedisVersion is the Redis release whose behaviour kvkit follows; kv-server
// reports it as redis_version in INFO and HELLO so that clients that switch
// on the server version treat kvkit as that Redis.
const RedisVersion = "7.0.15"
