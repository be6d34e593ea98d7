// Package schema is Magnetar's schema registry: Pulsar's per-topic schemas with versions,
// soft deletion and compatibility checks.
//
// A topic's schemas live in the metadata store under one key, /schemas/<tenant>/<ns>/<topic>,
// shared by all partitions of a partitioned topic and by the persistent and non-persistent
// topics of the same name (Pulsar's schema id has no domain). The key holds the topic's list
// of versions; every change is a compare-and-set of that key, so brokers in a cluster can
// register concurrently without a lock.
//
// Versions count from 0 and never go back, except after a forced delete: a soft delete
// (Pulsar's default) appends a tombstone that takes a version number of its own, so the next
// schema gets the number after it and is checked against nothing older than the tombstone.
//
// Compatibility follows Pulsar: AVRO, JSON and PROTOBUF schemas are Avro record definitions
// and are checked with Avro's schema-resolution rules (github.com/hamba/avro/v2);
// PROTOBUF_NATIVE checks that the root message keeps its name; KEY_VALUE checks key and value
// apart; every other type is compatible only with itself.
//
// Errors that callers branch on: ErrNotFound, ErrIncompatible and ErrInvalidSchema (test with
// errors.Is). The message of an incompatibility or invalid-schema error is Pulsar's, ready to
// be sent to a client as ServerError IncompatibleSchema.
//
// How the broker uses it (Pulsar's ServerCnx and AbstractTopic behaviour):
//   - CommandProducer: Register(topic, info, policy) with info from CommandProducer.schema
//     (SchemaInfo{Type: None} when absent; the type converts with FromProtocol); answer
//     PRODUCER_SUCCESS with schema_version VersionBytes(v), empty for NoVersion.
//   - CommandGetOrCreateSchema: AddOrGet, the same with the topic's policy.
//   - CommandSubscribe with a schema: IsCompatibleForConsumer. ErrNotFound means the topic
//     has no schema: register the consumer's schema if the topic is idle (no producers, no
//     other consumers with schemas, no data), else refuse.
//   - CommandGetSchema: ParseVersion(schema_version); NoVersion means GetLatest, else
//     GetByVersion. Pulsar answers ErrNotFound with ServerError TopicNotFound.
//   - ErrIncompatible and ErrInvalidSchema: ServerError IncompatibleSchema with err.Error().
//   - Deleting a topic with its schema: Delete(topic, true).
package schema
