package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
	"github.com/magnetar/magnetar/schema"
	"github.com/magnetar/magnetar/wire"
	"github.com/magnetar/magnetar/wire/pb"
)

// Schemas: producers register theirs (PRODUCER, GET_OR_CREATE_SCHEMA), consumers are
// checked against the topic's (SUBSCRIBE) and clients fetch them (GET_SCHEMA), through
// the schema registry, under the topic's effective schema policy.

// SchemaPolicy is the effective schema policy of a topic: topic, namespace and broker
// levels resolved. It also serves the schema REST API (schema.PolicyLookup).
func (b *Broker) SchemaPolicy(ctx context.Context, id schema.TopicID) (schema.Policy, error) {
	n, err := topicname.New(topicname.Persistent, id.Tenant, id.Namespace, id.Local)
	if err != nil {
		return schema.Policy{}, err
	}
	e, err := b.res.EffectivePolicies(ctx, n)
	if err != nil {
		return schema.Policy{}, err
	}
	strategy, err := schema.ParseStrategy(string(e.SchemaCompatibilityStrategy))
	if err != nil {
		strategy = schema.Full
	}
	legacy, ok, err := b.legacySchemaStrategy(ctx, n)
	if err != nil {
		return schema.Policy{}, err
	}
	if ok {
		strategy = legacy
	}
	return schema.Policy{
		Strategy:           strategy,
		ValidationEnforced: e.SchemaValidationEnforced,
		AutoUpdateDisabled: !e.IsAllowAutoUpdateSchema,
	}, nil
}

// legacySchemaStrategy is the namespace's deprecated schema_auto_update_compatibility_strategy
// when it decides: Pulsar falls back on it where neither the topic nor the namespace sets
// schema_compatibility_strategy (AutoUpdateDisabled then means ALWAYS_INCOMPATIBLE). Its
// initial value, Full, counts as not set, so the broker's schemaCompatibilityStrategy
// still applies to namespaces nobody changed (in Pulsar that Full would hide it).
func (b *Broker) legacySchemaStrategy(ctx context.Context, n topicname.Name) (schema.Strategy, bool, error) {
	tp, err := b.res.TopicPolicies(ctx, n)
	if err != nil {
		return schema.Undefined, false, err
	}
	if tp != nil && tp.SchemaCompatibilityStrategy != nil && *tp.SchemaCompatibilityStrategy != resources.SchemaUndefined {
		return schema.Undefined, false, nil
	}
	ns, err := b.res.GetPolicies(ctx, n.Namespace)
	if err != nil {
		return schema.Undefined, false, err
	}
	if s := ns.SchemaCompatibilityStrategy; s != "" && s != resources.SchemaUndefined {
		return schema.Undefined, false, nil
	}
	if ns.SchemaAutoUpdateStrategy == "" || strings.EqualFold(ns.SchemaAutoUpdateStrategy, "Full") {
		return schema.Undefined, false, nil
	}
	s, err := schema.ParseStrategy(ns.SchemaAutoUpdateStrategy)
	if err != nil || s == schema.Undefined {
		return schema.Undefined, false, nil
	}
	return s, true, nil
}

func (b *Broker) topicSchemaPolicy(ctx context.Context, n topicname.Name) (schema.Policy, error) {
	return b.SchemaPolicy(ctx, schema.TopicID{Tenant: n.Namespace.Tenant, Namespace: n.Namespace.Name, Local: n.Local})
}

// schemaInfo converts a protocol schema (nil: none).
func schemaInfo(s *pb.Schema) (schema.SchemaInfo, error) {
	if s == nil {
		return schema.SchemaInfo{Type: schema.None}, nil
	}
	t, ok := schema.FromProtocol(int32(s.GetType()))
	if !ok {
		return schema.SchemaInfo{}, errorf(pb.ServerError_IncompatibleSchema, "unknown schema type %d", s.GetType())
	}
	return schema.SchemaInfo{Name: s.GetName(), Type: t, Data: s.GetSchemaData(), Properties: keyValues(s.GetProperties())}, nil
}

// schemaError maps registry errors to the client's codes.
func schemaError(err error) error {
	switch {
	case errors.Is(err, schema.ErrIncompatible), errors.Is(err, schema.ErrInvalidSchema):
		return errorf(pb.ServerError_IncompatibleSchema, "%v", err)
	case errors.Is(err, schema.ErrNotFound):
		return errorf(pb.ServerError_TopicNotFound, "%v", err)
	}
	return errorf(pb.ServerError_MetadataError, "schema: %v", err)
}

// registerProducerSchema registers (or finds) a producer's schema and returns the version
// bytes for PRODUCER_SUCCESS (nil without a schema registry or schema).
func (b *Broker) registerProducerSchema(ctx context.Context, n topicname.Name, s *pb.Schema) ([]byte, error) {
	if b.schemas == nil {
		return nil, nil
	}
	info, err := schemaInfo(s)
	if err != nil {
		return nil, err
	}
	policy, err := b.topicSchemaPolicy(ctx, n)
	if err != nil {
		return nil, errorf(pb.ServerError_MetadataError, "schema policy of %s: %v", n, err)
	}
	v, err := b.schemas.Register(ctx, n.String(), info, policy)
	if err != nil {
		return nil, schemaError(err)
	}
	return schema.VersionBytes(v), nil
}

// checkConsumerSchema lets a consumer with a schema in if it can read the topic's; a
// topic without a schema takes the consumer's when nothing else uses it (Pulsar's
// addSchemaIfIdleOrCheckCompatible).
func (b *Broker) checkConsumerSchema(ctx context.Context, t *topic, s *pb.Schema) error {
	if b.schemas == nil || s == nil {
		return nil
	}
	info, err := schemaInfo(s)
	if err != nil {
		return err
	}
	policy, err := b.topicSchemaPolicy(ctx, t.name)
	if err != nil {
		return errorf(pb.ServerError_MetadataError, "schema policy of %s: %v", t.name, err)
	}
	err = b.schemas.IsCompatibleForConsumer(ctx, t.key, info, policy.Strategy)
	if !errors.Is(err, schema.ErrNotFound) {
		if err != nil {
			return schemaError(err)
		}
		return nil
	}
	if !t.idle() {
		return errorf(pb.ServerError_IncompatibleSchema, "topic %s has no schema and is in use: cannot take the consumer's", t.key)
	}
	if _, err := b.schemas.Register(ctx, t.key, info, policy); err != nil {
		return schemaError(err)
	}
	return nil
}

// DeleteTopicSchema erases a deleted topic's schema with its history, as Pulsar does when
// it deletes a topic (deleteSchemaStorage): a topic created again under the name takes any
// schema, from version 0. Deleting a partition leaves the schema its siblings share; the
// partitioned topic's deletion removes it.
func (b *Broker) DeleteTopicSchema(ctx context.Context, n topicname.Name) error {
	if b.schemas == nil || n.IsPartition() {
		return nil
	}
	if _, err := b.schemas.Delete(ctx, n.String(), true); err != nil {
		return fmt.Errorf("delete the schema of %s: %w", n, err)
	}
	return nil
}

// idle tells whether nothing uses the topic: no producers, no consumers, no messages.
func (t *topic) idle() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.producers) > 0 {
		return false
	}
	for _, s := range t.subs {
		if s.hasConsumers() {
			return false
		}
	}
	return t.ml == nil || t.ml.LastConfirmed().EntryID < 0
}

func (c *conn) handleGetSchema(g *pb.CommandGetSchema) {
	ctx, cancel := c.b.requestContext()
	defer cancel()
	fail := func(err error) {
		c.w.send(wire.NewGetSchemaError(g.GetRequestId(), codeOf(err), messageOf(err)))
	}
	if c.b.schemas == nil {
		fail(errorf(pb.ServerError_TopicNotFound, "no schema registry"))
		return
	}
	version, err := schema.ParseVersion(g.GetSchemaVersion())
	if err != nil {
		fail(errorf(pb.ServerError_IncompatibleSchema, "%v", err))
		return
	}
	var v schema.Versioned
	if version == schema.NoVersion {
		v, err = c.b.schemas.GetLatest(ctx, g.GetTopic())
	} else {
		v, err = c.b.schemas.GetByVersion(ctx, g.GetTopic(), version)
	}
	if err != nil {
		fail(schemaError(err))
		return
	}
	data := v.Data
	if data == nil {
		data = []byte{} // schema_data is required, even for primitive types
	}
	var props []*pb.KeyValue
	for k, val := range v.Properties {
		props = append(props, &pb.KeyValue{Key: proto.String(k), Value: proto.String(val)})
	}
	c.w.send(wire.NewGetSchemaResponse(g.GetRequestId(), &pb.Schema{
		Name:       proto.String(v.Name),
		SchemaData: data,
		Type:       pb.Schema_Type(v.Type).Enum(),
		Properties: props,
	}, schema.VersionBytes(v.Version)))
}

func (c *conn) handleGetOrCreateSchema(g *pb.CommandGetOrCreateSchema) {
	ctx, cancel := c.b.requestContext()
	defer cancel()
	fail := func(err error) {
		c.w.send(wire.NewGetOrCreateSchemaError(g.GetRequestId(), codeOf(err), messageOf(err)))
	}
	n, err := parseTopic(g.GetTopic())
	if err != nil {
		fail(err)
		return
	}
	if exists, err := c.b.topicExists(ctx, n); err != nil || !exists {
		fail(errorf(pb.ServerError_TopicNotFound, "Topic %s does not exist", n))
		return
	}
	version, err := c.b.registerProducerSchema(ctx, n, g.GetSchema())
	if err != nil {
		fail(err)
		return
	}
	c.w.send(wire.NewGetOrCreateSchemaResponse(g.GetRequestId(), version))
}
