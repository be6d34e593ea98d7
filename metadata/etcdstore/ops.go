package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/magnetar/magnetar/metadata"
)

func stat(kv *mvccpb.KeyValue) metadata.Stat {
	return metadata.Stat{Version: kv.Version, Ephemeral: kv.Lease != 0}
}

// value returns kv's value, never nil for a key that exists.
func value(kv *mvccpb.KeyValue) []byte {
	if kv.Value == nil {
		return []byte{}
	}
	return kv.Value
}

// Get returns key's value and stat.
func (s *Store) Get(ctx context.Context, key string) ([]byte, metadata.Stat, error) {
	if err := metadata.ValidateKey(key); err != nil {
		return nil, metadata.Stat{}, err
	}
	if err := s.check(); err != nil {
		return nil, metadata.Stat{}, err
	}
	resp, err := s.cli.Get(ctx, s.full(key))
	if err != nil {
		return nil, metadata.Stat{}, fmt.Errorf("etcdstore: get %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, metadata.Stat{}, fmt.Errorf("etcdstore: get %s: %w", key, metadata.ErrNotFound)
	}
	return value(resp.Kvs[0]), stat(resp.Kvs[0]), nil
}

// Put is one Txn: the version condition on the key, the condition that no parent is
// ephemeral, and (when the key may be created) a nested create-if-absent Txn per
// missing parent. It ends with a read of the key for the new stat.
func (s *Store) Put(ctx context.Context, key string, val []byte, expected int64, opts ...metadata.PutOption) (metadata.Stat, error) {
	if err := metadata.ValidateKey(key); err != nil {
		return metadata.Stat{}, err
	}
	if expected < metadata.AnyVersion {
		return metadata.Stat{}, fmt.Errorf("etcdstore: put %s: invalid expected version %d", key, expected)
	}
	if err := s.check(); err != nil {
		return metadata.Stat{}, err
	}
	o := metadata.ApplyPutOptions(opts)
	k := s.full(key)

	// A new key gets the session's lease if ephemeral; an existing key keeps its own.
	create := clientv3.OpPut(k, string(val))
	if o.Ephemeral && expected <= 0 {
		lease := clientv3.LeaseID(s.lease.Load())
		if lease == clientv3.NoLease {
			return metadata.Stat{}, fmt.Errorf("etcdstore: put %s: %w", key, metadata.ErrSessionLost)
		}
		create = clientv3.OpPut(k, string(val), clientv3.WithLease(lease))
	}
	update := clientv3.OpPut(k, string(val), clientv3.WithIgnoreLease())

	var cmps []clientv3.Cmp
	var then []clientv3.Op
	elseOps := []clientv3.Op{clientv3.OpGet(k)}
	if expected <= 0 { // the key may be created: its parents too
		for _, p := range metadata.Parents(key) {
			fp := s.full(p)
			cmps = append(cmps, clientv3.Compare(clientv3.LeaseValue(fp), "=", clientv3.NoLease))
			then = append(then, clientv3.OpTxn(
				[]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(fp), "=", 0)},
				[]clientv3.Op{clientv3.OpPut(fp, "")}, nil))
			elseOps = append(elseOps, clientv3.OpGet(fp))
		}
	}
	switch expected {
	case metadata.NotExists:
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", 0))
		then = append(then, create)
	case metadata.AnyVersion:
		then = append(then, clientv3.OpTxn(
			[]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)},
			[]clientv3.Op{create}, []clientv3.Op{update}))
	default:
		cmps = append(cmps, clientv3.Compare(clientv3.Version(k), "=", expected))
		then = append(then, update)
	}
	then = append(then, clientv3.OpGet(k))

	resp, err := s.cli.Txn(ctx).If(cmps...).Then(then...).Else(elseOps...).Commit()
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return metadata.Stat{}, fmt.Errorf("etcdstore: put %s: %w: %w", key, metadata.ErrSessionLost, err)
	}
	if err != nil {
		return metadata.Stat{}, fmt.Errorf("etcdstore: put %s: %w", key, err)
	}
	if !resp.Succeeded {
		return metadata.Stat{}, fmt.Errorf("etcdstore: put %s: %w", key, putFailure(resp, expected))
	}
	kvs := resp.Responses[len(resp.Responses)-1].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return metadata.Stat{}, fmt.Errorf("etcdstore: put %s: key absent right after the put", key)
	}
	return stat(kvs[0]), nil
}

// putFailure explains a failed Put Txn from its Else reads: the key, then its parents.
func putFailure(resp *clientv3.TxnResponse, expected int64) error {
	for _, r := range resp.Responses[1:] {
		if kvs := r.GetResponseRange().Kvs; len(kvs) > 0 && kvs[0].Lease != 0 {
			return fmt.Errorf("parent %s: %w", kvs[0].Key, metadata.ErrEphemeralParent)
		}
	}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		return fmt.Errorf("at version %d, expected %d: %w", kvs[0].Version, expected, metadata.ErrBadVersion)
	}
	return fmt.Errorf("absent, expected version %d: %w", expected, metadata.ErrBadVersion)
}

// Delete is one Txn: the key exists (at the expected version) and has no descendants.
func (s *Store) Delete(ctx context.Context, key string, expected int64) error {
	if err := metadata.ValidateKey(key); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	k, children := s.full(key), s.childPrefix(key)
	cmps := []clientv3.Cmp{
		clientv3.Compare(clientv3.CreateRevision(k), ">", 0),
		// A range compare holds for every key in it, and for an empty range.
		clientv3.Compare(clientv3.CreateRevision(children), "=", 0).WithPrefix(),
	}
	if expected != metadata.AnyVersion {
		cmps = append(cmps, clientv3.Compare(clientv3.Version(k), "=", expected))
	}
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(clientv3.OpDelete(k)).Else(
		clientv3.OpGet(k),
		clientv3.OpGet(children, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1)),
	).Commit()
	if err != nil {
		return fmt.Errorf("etcdstore: delete %s: %w", key, err)
	}
	if resp.Succeeded {
		return nil
	}
	cur := resp.Responses[0].GetResponseRange().Kvs
	switch {
	case len(cur) == 0:
		return fmt.Errorf("etcdstore: delete %s: %w", key, metadata.ErrNotFound)
	case len(resp.Responses[1].GetResponseRange().Kvs) > 0:
		return fmt.Errorf("etcdstore: delete %s: %w", key, metadata.ErrNotEmpty)
	default:
		return fmt.Errorf("etcdstore: delete %s: at version %d, expected %d: %w", key, cur[0].Version, expected, metadata.ErrBadVersion)
	}
}

// Children reads the keys of every descendant (keys only) and keeps the direct ones.
func (s *Store) Children(ctx context.Context, key string) ([]string, error) {
	if err := metadata.ValidatePrefix(key); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	p := s.childPrefix(key)
	resp, err := s.cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("etcdstore: children of %s: %w", key, err)
	}
	names := []string{}
	for _, kv := range resp.Kvs {
		if name := string(kv.Key[len(p):]); name != "" && !strings.Contains(name, "/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}
