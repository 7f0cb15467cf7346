package librdb

import "hash/crc64"

// crcTable is CRC-64-Jones (reflected polynomial 0xad93d23594c935a9, here in
// hash/crc64's reversed notation), the checksum of RDB files and DUMP
// payloads (Redis crc64.c).
var crcTable = crc64.MakeTable(0x95AC9329AC4BC9B5)

// CRC64 continues the Redis CRC-64 crc over p. Redis's CRC has no initial or
// final inversion; hash/crc64 has both, so they are undone around the call.
// CRC64(0, []byte("123456789")) is 0xe9c6d914c4b8d9ca.
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, crcTable, p)
}
