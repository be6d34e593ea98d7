package broker

import "testing"

// The expected hashes were computed with Guava 31.1's Hashing.crc32c() the way Pulsar's
// TopicList.calculateHash calls it (sorted names joined by ',', HashCode.toString()).
func TestTopicListHash(t *testing.T) {
	for _, tc := range []struct {
		topics []string
		want   string
	}{
		{nil, "00000000"},
		{[]string{"persistent://public/default/a"}, "e4a876e3"},
		{[]string{"persistent://public/default/b", "persistent://public/default/a"}, "c7559e98"},
		{[]string{
			"persistent://public/default/t-partition-1",
			"persistent://public/default/t-partition-0",
			"persistent://public/default/other",
		}, "82258e5d"},
	} {
		if got := topicListHash(tc.topics); got != tc.want {
			t.Errorf("topicListHash(%q) = %s; want %s", tc.topics, got, tc.want)
		}
	}
}

func TestTopicsPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		topic   string
		want    bool
	}{
		{"persistent://public/default/watch-.*", "persistent://public/default/watch-a", true},
		{"persistent://public/default/watch-.*", "persistent://public/default/other", false},
		// The whole name must match, not a part of it.
		{"persistent://public/default/watch", "persistent://public/default/watch-a", false},
		{"public/default/watch-.*", "persistent://public/default/watch-a", true},
		// Partitions are matched by their partitioned topic's name.
		{"persistent://public/default/orders", "persistent://public/default/orders-partition-3", true},
		{"persistent://public/default/.*-partition-3", "persistent://public/default/orders-partition-3", false},
		// The domain is not part of what is matched, whichever the pattern names.
		{"non-persistent://public/default/a.*", "persistent://public/default/ab", true},
		{"public/default/(x|y)z", "persistent://public/default/yz", true},
		{"public/default/(x|y)z", "persistent://other/default/yz", false},
	} {
		p, err := parseTopicsPattern(tc.pattern)
		if err != nil {
			t.Fatalf("parseTopicsPattern(%q): %v", tc.pattern, err)
		}
		if got := p.matches(tc.topic); got != tc.want {
			t.Errorf("%q matches %q = %v; want %v", tc.pattern, tc.topic, got, tc.want)
		}
	}
}

func TestTopicsPatternDomainAndErrors(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		input   string // after the domain is removed; "" for an error
	}{
		{"persistent://public/default/a.*", "public/default/a.*"},
		{"non-persistent://public/default/a.*", "public/default/a.*"},
		{"public/default/a.*", "public/default/a.*"},
		// Regex text before the domain word stays, as in Pulsar.
		{"(persistent://public/default/a.*)", "(public/default/a.*)"},
		{"http://public/default/a", ""},
		{"public/default/(?=a)", ""}, // lookahead: java.util.regex only
		{"public/default/(a", ""},
	} {
		p, err := parseTopicsPattern(tc.pattern)
		switch {
		case tc.input == "" && err == nil:
			t.Errorf("parseTopicsPattern(%q) = %q; want an error", tc.pattern, p.input)
		case tc.input != "" && err != nil:
			t.Errorf("parseTopicsPattern(%q): %v", tc.pattern, err)
		case tc.input != "" && p.input != tc.input:
			t.Errorf("parseTopicsPattern(%q).input = %q; want %q", tc.pattern, p.input, tc.input)
		}
	}
}
