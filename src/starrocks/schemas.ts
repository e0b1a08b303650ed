/**
 * zod schemas for what the StarRocks OpenAPI returns (spec §4, §5.1, §3.2–§3.5).
 * Lenient where the vendor is loose (missing optional fields, unknown extra fields, `null`s),
 * strict on the members the client's decisions depend on.
 */
import { z } from 'zod';

/** A string that may also arrive as null (e.g. `ErrMessage: null`); normalised to undefined. */
const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
const optionalNumber = z
  .number()
  .nullish()
  .transform((v) => v ?? undefined);

/** Service-level envelope common to all StarRocks operations (spec §4). */
export const ServiceEnvelopeSchema = z.looseObject({
  RequestId: optionalString,
  Success: z.boolean(),
  ErrCode: optionalString,
  ErrMessage: optionalString,
  HttpStatusCode: optionalNumber,
  /** A JSON document serialised into a string in this envelope. */
  AccessDeniedDetail: z.unknown().optional(),
  Data: z.unknown().optional(),
  Total: optionalNumber,
});
export type ServiceEnvelope = z.infer<typeof ServiceEnvelopeSchema>;

/** Gateway error body (spec §5.1), PascalCase or camelCase; AccessDeniedDetail is an object here. */
export const GatewayErrorSchema = z
  .looseObject({
    RequestId: optionalString,
    requestId: optionalString,
    HostId: optionalString,
    hostId: optionalString,
    Code: optionalString,
    code: optionalString,
    Message: optionalString,
    message: optionalString,
    Recommend: optionalString,
    recommend: optionalString,
    AccessDeniedDetail: z.unknown().optional(),
    accessDeniedDetail: z.unknown().optional(),
  })
  .transform((e) => ({
    requestId: e.RequestId ?? e.requestId,
    hostId: e.HostId ?? e.hostId,
    code: e.Code ?? e.code,
    message: e.Message ?? e.message,
    recommend: e.Recommend ?? e.recommend,
    accessDeniedDetail: e.AccessDeniedDetail ?? e.accessDeniedDetail,
  }));
export type GatewayError = z.output<typeof GatewayErrorSchema>;

const TagSchema = z.looseObject({ Key: z.string(), Value: z.string().nullish().transform((v) => v ?? '') });

/** DescribeInstances `Data[]` item (PascalCase; only InstanceId and InstanceStatus are required). */
export const InstanceItemSchema = z.looseObject({
  InstanceId: z.string().min(1),
  InstanceName: optionalString,
  InstanceStatus: z.string(),
  RegionId: optionalString,
  ResourceGroupId: optionalString,
  /** The instance's own maintenance window, e.g. `00:00-06:00` (region local time). */
  MaintainablePeriod: optionalString,
  Tags: z
    .array(TagSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type InstanceItem = z.output<typeof InstanceItemSchema>;

export const DescribeInstancesDataSchema = z
  .array(InstanceItemSchema)
  .nullish()
  .transform((v) => v ?? []);

/** ListOperationHistory `Data[]` item (spec §3.5). */
export const OperationItemSchema = z.looseObject({
  OperationId: z.string(),
  OperationType: z.string(),
  OperationStatus: z.string(),
  Progress: optionalNumber,
  GmtCreate: optionalNumber,
  GmtEnd: optionalNumber,
  InstanceId: optionalString,
});
export type OperationItem = z.output<typeof OperationItemSchema>;

export const ListOperationHistoryDataSchema = z
  .array(OperationItemSchema)
  .nullish()
  .transform((v) => v ?? []);

/** DescribeNodeGroups `Data[]` item: all fields kept, NodeGroupId and Status required. */
export const NodeGroupItemSchema = z.looseObject({
  NodeGroupId: z.string(),
  Status: z.string(),
});
export type NodeGroupItem = z.output<typeof NodeGroupItemSchema>;

export const DescribeNodeGroupsDataSchema = z
  .array(NodeGroupItemSchema)
  .nullish()
  .transform((v) => v ?? []);

/** Data of RestartInstance / RestartNodeGroup: must be `true` for an accepted restart. */
export const RestartDataSchema = z.literal(true);

/** `0`, `null` or absent → undefined: the vendor uses 0 for "not set" in time and port fields. */
const optionalPositiveNumber = z
  .number()
  .nullish()
  .transform((v) => (v === null || v === undefined || v <= 0 ? undefined : v));
/** Empty text and the literal `null` the envelope uses → undefined. */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' || v === 'null' ? undefined : v));

/** ListOperationActivity `Data[]` item: one step of an operation (spec §3.5 item 4; SDK types). */
export const OperationActivityItemSchema = z.looseObject({
  ActivityId: z.string(),
  /** `COMPLETED`, `RUNNING`, or values not yet documented. */
  ActivityStatus: z.string(),
  Name: z.string(),
  StartTime: optionalPositiveNumber,
  EndTime: optionalPositiveNumber,
  ErrMessage: optionalText,
  ConsoleRetryCount: z.number().int().min(0).nullish().transform((v) => v ?? undefined),
});
export type OperationActivityItem = z.output<typeof OperationActivityItemSchema>;

export const ListOperationActivityDataSchema = z
  .array(OperationActivityItemSchema)
  .nullish()
  .transform((v) => v ?? []);

/**
 * The members of a DescribeNodeGroups item the typed view uses (spec §3.4, §11), strictly typed:
 * a group without its id, component type or status, or with a non-numeric port, is malformed.
 */
export const NodeGroupViewSchema = z.looseObject({
  NodeGroupId: z.string().min(1),
  NodeGroupName: optionalText,
  ComponentType: z.string().min(1),
  Status: z.string(),
  Endpoint: optionalText,
  HttpPort: z
    .number()
    .int()
    .min(0)
    .max(65_535)
    .nullish()
    .transform((v) => (v === null || v === undefined || v === 0 ? undefined : v)),
});
export type NodeGroupView = z.output<typeof NodeGroupViewSchema>;
