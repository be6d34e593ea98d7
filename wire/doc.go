// Package wire is Magnetar's codec for the Pulsar binary protocol: frames,
// the payload section producers write ([0x0e01][crc32c][metadata][payload]),
// batches, compression codecs and the Key_Shared key hash.
//
// It knows bytes and nothing else: no I/O policy, no broker state. Every
// decoder returns an error on bad input and never panics; all of them are
// fuzzed.
//
// Frame layout (big-endian):
//
//	[uint32 totalSize][uint32 cmdSize][BaseCommand][headersAndPayload]
//
// totalSize counts everything after itself. headersAndPayload is empty for
// simple commands; for SEND and MESSAGE it is
//
//	[0x0e02][uint32 size][BrokerEntryMetadata]   (optional, broker → consumer only)
//	[0x0e01][uint32 crc32c][uint32 metaSize][MessageMetadata][payload]
//
// where the CRC32C (Castagnoli) covers everything after the checksum field.
// The broker stores what the producer framed from 0x0e01 on, untouched.
package wire
