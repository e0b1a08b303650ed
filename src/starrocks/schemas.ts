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
