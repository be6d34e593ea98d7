package disk

import "testing"

func TestStatOfTempDir(t *testing.T) {
	u, err := Stat(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if u.Total == 0 || u.Free > u.Total {
		t.Fatalf("implausible usage %+v", u)
	}
	if f := u.Used(); f < 0 || f > 1 {
		t.Fatalf("used fraction %v outside 0..1", f)
	}
	if _, err := Stat("/no/such/dir"); err == nil {
		t.Fatal("stat of a missing directory succeeded")
	}
}
