package admin

import (
	"fmt"
	"strconv"
	"strings"
)

// parseSize reads pulsar-admin sizes: a number of bytes with an optional k, m, g or t
// suffix (powers of 1024); -1 means unlimited.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return -1, nil
	}
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid size %q: want e.g. 512, 10M, 2G or -1", s)
	}
	return v * mult, nil
}

// parseSeconds reads pulsar-admin durations: a number of seconds with an optional s, m,
// h, d or w suffix; -1 means unlimited.
func parseSeconds(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return -1, nil
	}
	mult := int64(1)
	if n := len(s); n > 0 {
		if m, unit := map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}[s[n-1]|0x20]; unit {
			mult, s = m, s[:n-1]
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid time %q: want e.g. 30, 10m, 3h, 7d, 1w or -1", s)
	}
	return v * mult, nil
}
