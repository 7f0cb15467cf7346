// Package libaof reads and writes Redis 7.0 append-only files: the
// multi-part manifest (Manifest, ParseManifest, WriteManifest: atomic
// replacement), the file names (BaseName, IncrName, ManifestName), the RESP
// command stream with its "#" annotation lines (Reader; AppendCommand and
// AppendTimestamp write it), the INCR file writer with group writes and
// group fsyncs for the appendfsync policies (Writer), and the checker and
// repairer that kv-check-aof is built on (Check, Plan). Formats and rules
// follow Redis 7.0 aof.c and redis-check-aof.c; where kvkit differs it says
// so next to the code.
//
// libaof knows nothing of RDB encodings: a file that starts with an RDB
// preamble is validated by a PreambleChecker that the caller supplies
// (kv-check-aof wires librdb into it).
package libaof
