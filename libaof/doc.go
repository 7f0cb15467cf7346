// Package libaof reads Redis 7.0 append-only files: the multi-part manifest
// (Manifest, ParseManifest), the RESP command stream with its "#" annotation
// lines (Reader), and the checker and repairer that kv-check-aof is built on
// (Check, Plan). Formats and rules follow Redis 7.0 aof.c and
// redis-check-aof.c; where kvkit differs it says so next to the code.
//
// libaof knows nothing of RDB encodings: a file that starts with an RDB
// preamble is validated by a PreambleChecker that the caller supplies
// (kv-check-aof wires librdb into it).
package libaof
