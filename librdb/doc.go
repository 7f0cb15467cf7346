// Package librdb reads and writes Redis RDB files (Redis 7.0 rdb.c, rdb.h and
// their successors): a streaming Decoder that hands every record to a Visitor,
// an Encoder that writes RDB version 10 (what Redis 7.0 loads) or 11/12 on
// request, and the codecs underneath them — LZF, CRC64-Jones, listpack,
// ziplist, intset and zipmap.
//
// librdb knows nothing of kvkit's engine: kv-server, kv-rdb, the AOF loader
// and replication all share it through the Visitor interface.
//
// Every decoder here treats its input as hostile: corrupt bytes give an
// *Error with the byte offset and a reason, never a panic, and no buffer is
// allocated larger than the data actually delivered so far justifies.
package librdb
