/**
 * Amazon S3 event notifications delivered to Lambda (`s3:ObjectCreated:*`, `s3:ObjectRemoved:*`,
 * `s3:ObjectRestore:*`, lifecycle, Intelligent-Tiering, …). Object keys arrive URL-encoded: {@link objectKey}
 * gives the key as stored.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { array, optional, preserve } from "./internal/fields.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface StoredObject {
  /** URL-encoded (a space is `+`); see {@link objectKey}. */
  readonly key: string
  /** Bytes. Absent in removal events. */
  readonly size?: number
  /** Absent in removal events. */
  readonly eTag?: string
  /** Present when the bucket is versioned. */
  readonly versionId?: string
  /** Orders events for one key; present for PUT and DELETE events. */
  readonly sequencer?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Entity {
  readonly s3SchemaVersion: string
  /** The notification configuration's id. */
  readonly configurationId: string
  readonly bucket: {
    readonly name: string
    readonly ownerIdentity: { readonly principalId: string }
    readonly arn: string
  }
  readonly object: StoredObject
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Record {
  /** `2.1`, `2.2` or `2.3`. */
  readonly eventVersion: string
  /** `aws:s3`. */
  readonly eventSource: string
  readonly awsRegion: string
  /** ISO 8601. */
  readonly eventTime: string
  /** Without the `s3:` prefix, e.g. `ObjectCreated:Put`. */
  readonly eventName: string
  readonly userIdentity: { readonly principalId: string }
  readonly requestParameters: { readonly sourceIPAddress: string }
  readonly responseElements: { readonly "x-amz-request-id": string; readonly "x-amz-id-2": string }
  readonly s3: Entity
  /** `ObjectRestore:Completed` events. */
  readonly glacierEventData?: {
    readonly restoreEventData: {
      readonly lifecycleRestorationExpiryTime: string
      readonly lifecycleRestoreStorageClass: string
    }
  }
  /** `IntelligentTiering` events. */
  readonly intelligentTieringEventData?: { readonly destinationAccessTier: string }
  /** `LifecycleTransition` events. */
  readonly lifecycleEventData?: { readonly transitionEventData: { readonly destinationStorageClass: string } }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly Records: Array<Record>
}

/**
 * One notification.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Record: Schema.Schema<Record> = Schema.Struct({
  eventVersion: Schema.String,
  eventSource: Schema.String,
  awsRegion: Schema.String,
  eventTime: Schema.String,
  eventName: Schema.String,
  userIdentity: Schema.Struct({ principalId: Schema.String }),
  requestParameters: Schema.Struct({ sourceIPAddress: Schema.String }),
  responseElements: Schema.Struct({ "x-amz-request-id": Schema.String, "x-amz-id-2": Schema.String }),
  s3: Schema.Struct({
    s3SchemaVersion: Schema.String,
    configurationId: Schema.String,
    bucket: Schema.Struct({
      name: Schema.String,
      ownerIdentity: Schema.Struct({ principalId: Schema.String }),
      arn: Schema.String
    }),
    object: Schema.Struct({
      key: Schema.String,
      size: optional(Schema.Number),
      eTag: optional(Schema.String),
      versionId: optional(Schema.String),
      sequencer: optional(Schema.String)
    })
  }),
  glacierEventData: optional(
    Schema.Struct({
      restoreEventData: Schema.Struct({
        lifecycleRestorationExpiryTime: Schema.String,
        lifecycleRestoreStorageClass: Schema.String
      })
    })
  ),
  intelligentTieringEventData: optional(Schema.Struct({ destinationAccessTier: Schema.String })),
  lifecycleEventData: optional(
    Schema.Struct({ transitionEventData: Schema.Struct({ destinationStorageClass: Schema.String }) })
  )
}).annotations({ ...preserve, identifier: "S3Record" })

/**
 * An S3 notification event.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event> = Schema.Struct({ Records: array(Record) }).annotations(preserve)

/**
 * The object key as stored: S3 sends it URL-encoded with spaces as `+`.
 *
 * @since 0.1.0
 * @category utils
 */
export const objectKey = (record: Record): string => decodeURIComponent(record.s3.object.key.replace(/\+/g, " "))
