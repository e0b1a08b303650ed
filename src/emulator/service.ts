/**
 * The StarRocks service behind the gateway: one handler per action, answering with the service
 * envelope `{RequestId, Success, ErrCode, ErrMessage, HttpStatusCode, Data, Total?, AccessDeniedDetail?}`.
 * Parameter-shape problems that the real gateway validates from API metadata (required params,
 * integer bounds, JSON-typed Tag) are answered as gateway errors.
 */
import type { GatewayError } from './gateway';
import type { EmulatorAction } from './schemas';
import type { ServiceAnswer, ServiceContext } from './service/common';
import { describeInstances, describeNodeGroups, describeRegions, restartInstance, restartNodeGroup } from './service/instances';
import { listOperationActivity, listOperationHistory } from './service/operations';

export { MSG_NOT_EXISTS, envelope, type ServiceAnswer, type ServiceContext } from './service/common';
export { CODE_OPERATION_DENIED, MSG_NOT_RUNNING } from './service/instances';
export { MSG_OPERATION_NOT_EXISTS } from './service/operations';

export const HANDLERS: Record<EmulatorAction, (ctx: ServiceContext) => ServiceAnswer | GatewayError> = {
  RestartInstance: restartInstance,
  RestartNodeGroup: restartNodeGroup,
  DescribeInstances: describeInstances,
  DescribeNodeGroups: describeNodeGroups,
  ListOperationHistory: listOperationHistory,
  ListOperationActivity: listOperationActivity,
  DescribeRegions: describeRegions,
};

/** Actions whose successful call changes the world (relevant for drop-after and malformed faults). */
export const MUTATING_ACTIONS: ReadonlySet<string> = new Set(['RestartInstance', 'RestartNodeGroup']);
