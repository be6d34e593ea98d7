// Package crc32c combines CRC-32C (Castagnoli) checksums. A bookie record's checksum
// covers its header and the entry's data; the ledger client has already computed the
// data's CRC, so the journal and the entry logs extend the CRC of their few header bytes
// by it (Combine) instead of reading every entry again, once each.
package crc32c

import "hash/crc32"

// Table is the Castagnoli table of hash/crc32.
var Table = crc32.MakeTable(crc32.Castagnoli)

// poly is the Castagnoli polynomial, bit-reversed as hash/crc32 uses it.
const poly = 0x82f63b78

// Checksum returns the CRC-32C of b.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, Table) }

// Update returns the CRC-32C of the bytes crc covers followed by b.
func Update(crc uint32, b []byte) uint32 { return crc32.Update(crc, Table, b) }

// Combine returns the CRC-32C of A followed by B, given crcA and crcB (as Checksum
// returns them) and the length of B. The pre- and post-inversions of the two cancel,
// so this is crcA shifted by lenB zero bytes, xor crcB: crcA times x^(8*lenB) modulo the
// polynomial, which takes one multiplication per bit of lenB.
func Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	return mulMod(xPow8n(lenB), crcA) ^ crcB
}

// In the bit-reversed representation the most significant bit (1<<31) is x^0.
const one = 1 << 31

// mulMod returns a*b modulo the polynomial, without branches on the data (lengths vary
// from entry to entry, so branches on them mispredict).
func mulMod(a, b uint32) uint32 {
	var p uint32
	for i := 0; i < 32; i++ {
		p ^= b & -(a >> 31)
		a <<= 1
		b = b>>1 ^ poly&-(b&1)
	}
	return p
}

// shifts[k][d] is x^(8 * d * 16^k) modulo the polynomial: the factor that shifts a CRC
// by d*16^k bytes. A length is then one factor per hexadecimal digit.
var shifts = func() (t [16][16]uint32) {
	x8 := uint32(one >> 8) // x^8: shifts by one byte
	for k := range t {
		t[k][0] = one
		for d := 1; d < 16; d++ {
			t[k][d] = mulMod(t[k][d-1], x8)
		}
		x8 = mulMod(t[k][15], x8) // x^(8 * 16^(k+1))
	}
	return t
}()

// xPow8n returns x^(8n) modulo the polynomial: the factor that shifts a CRC by n bytes.
func xPow8n(n int64) uint32 {
	r := uint32(one)
	for k := 0; n != 0; k, n = k+1, n>>4 {
		if d := n & 15; d != 0 {
			r = mulMod(r, shifts[k][d])
		}
	}
	return r
}
