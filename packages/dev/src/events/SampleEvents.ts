/**
 * Sample events, one per event source, shaped like the events Lambda delivers (and like the examples AWS
 * documents): what `effect-lambda event <source> [--body JSON]` prints, to pipe into `effect-lambda invoke`.
 * The values are fixed, so the output is the same on every run, except what `body` puts in (and the MD5 of an
 * SQS body, computed from it).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Crypto from "node:crypto"

/**
 * The sources a sample exists for.
 *
 * @since 0.1.0
 * @category constants
 */
export const sources = [
  "sqs",
  "sqs-fifo",
  "sns",
  "s3",
  "s3-delete",
  "eventbridge",
  "scheduled",
  "kinesis",
  "dynamodb"
] as const

/**
 * @since 0.1.0
 * @category models
 */
export type Source = (typeof sources)[number]

/**
 * What each sample is, and what `body` becomes in it (for help text).
 *
 * @since 0.1.0
 * @category constants
 */
export const descriptions: { readonly [S in Source]: string } = {
  sqs: "SQS standard queue, one message; --body is the message body",
  "sqs-fifo": "SQS FIFO queue, one message; --body is the message body",
  sns: "SNS notification; --body is the message",
  s3: "S3 ObjectCreated:Put notification; --body is the object key",
  "s3-delete": "S3 ObjectRemoved:Delete notification; --body is the object key",
  eventbridge: "EventBridge event; --body is the detail (a JSON object)",
  scheduled: "EventBridge schedule rule (Scheduled Event); takes no --body",
  kinesis: "Kinesis Data Streams record; --body is the data (base64-encoded for you)",
  dynamodb: "DynamoDB Streams INSERT record; --body is the new item as a JSON object (its first field is the key)"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Text put in the event where its payload goes (see {@link descriptions}). */
  readonly body?: string
}

/**
 * Why no sample could be made: an unknown source, or a body the source cannot carry.
 *
 * @since 0.1.0
 * @category errors
 */
export class SampleError {
  readonly _tag = "SampleError"
  constructor(readonly message: string) {}
}

/**
 * Whether a string names a source.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSource = (name: string): name is Source => (sources as ReadonlyArray<string>).includes(name)

const region = "us-east-1"
const account = "123456789012"

const md5 = (text: string) => Crypto.createHash("md5").update(text, "utf8").digest("hex")

const parseObject = (source: Source, body: string): Either.Either<{ readonly [key: string]: unknown }, SampleError> => {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch (error) {
    return Either.left(
      new SampleError(`--body for ${source} must be JSON: ${error instanceof Error ? error.message : String(error)}`)
    )
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? Either.right(value as { readonly [key: string]: unknown })
    : Either.left(new SampleError(`--body for ${source} must be a JSON object, got ${JSON.stringify(value)}`))
}

type AttributeValue = { readonly [tag: string]: unknown }

/** A JSON value as a DynamoDB attribute value. */
const marshall = (value: unknown): AttributeValue => {
  if (value === null) return { NULL: true }
  if (typeof value === "string") return { S: value }
  if (typeof value === "number") return { N: String(value) }
  if (typeof value === "boolean") return { BOOL: value }
  if (Array.isArray(value)) return { L: value.map(marshall) }
  return { M: marshallMap(value as { readonly [key: string]: unknown }) }
}

const marshallMap = (map: { readonly [key: string]: unknown }) =>
  Object.fromEntries(Object.entries(map).map(([key, value]) => [key, marshall(value)]))

const sqs = (body: string, fifo: boolean) => {
  const queue = fifo ? "my-queue.fifo" : "my-queue"
  return {
    Records: [
      {
        messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
        receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: "1545082649183",
          SenderId: "AIDAIENQZJOLO23YVJ4VO",
          ApproximateFirstReceiveTimestamp: "1545082649185",
          ...(fifo ? { SequenceNumber: "18849496460467696128", MessageGroupId: "1", MessageDeduplicationId: "1" } : {})
        },
        messageAttributes: {},
        md5OfBody: md5(body),
        eventSource: "aws:sqs",
        eventSourceARN: `arn:aws:sqs:${region}:${account}:${queue}`,
        awsRegion: region
      }
    ]
  }
}

const sns = (message: string) => ({
  Records: [
    {
      EventVersion: "1.0",
      EventSubscriptionArn: `arn:aws:sns:${region}:${account}:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486`,
      EventSource: "aws:sns",
      Sns: {
        SignatureVersion: "1",
        Timestamp: "2019-01-02T12:45:07.000Z",
        Signature: "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
        SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem`,
        MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        Message: message,
        MessageAttributes: { Test: { Type: "String", Value: "TestString" } },
        Type: "Notification",
        UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:${region}:${account}:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486`,
        TopicArn: `arn:aws:sns:${region}:${account}:sns-lambda`,
        Subject: "TestInvoke"
      }
    }
  ]
})

const s3 = (key: string, removed: boolean) => ({
  Records: [
    {
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: region,
      eventTime: "1970-01-01T00:00:00.000Z",
      eventName: removed ? "ObjectRemoved:Delete" : "ObjectCreated:Put",
      userIdentity: { principalId: "EXAMPLE" },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      responseElements: {
        "x-amz-request-id": "EXAMPLE123456789",
        "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH"
      },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "testConfigRule",
        bucket: {
          name: "example-bucket",
          ownerIdentity: { principalId: "EXAMPLE" },
          arn: "arn:aws:s3:::example-bucket"
        },
        object: removed
          ? { key: encodeKey(key), sequencer: "0A1B2C3D4E5F678901" }
          : {
              key: encodeKey(key),
              size: 1024,
              eTag: "0123456789abcdef0123456789abcdef",
              sequencer: "0A1B2C3D4E5F678901"
            }
      }
    }
  ]
})

/** S3 URL-encodes keys in notifications, spaces as `+`. */
const encodeKey = (key: string) => encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/")

const eventBridge = (detailType: string, source: string, detail: unknown, resources: ReadonlyArray<string>) => ({
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": detailType,
  source,
  account,
  time: "2017-12-22T18:43:48Z",
  region,
  resources,
  detail
})

const kinesis = (data: string) => ({
  Records: [
    {
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: "1",
        sequenceNumber: "49590338271490256608559692538361571095921575989136588898",
        data: Buffer.from(data, "utf8").toString("base64"),
        approximateArrivalTimestamp: 1545084650.987
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
      eventName: "aws:kinesis:record",
      invokeIdentityArn: `arn:aws:iam::${account}:role/lambda-role`,
      awsRegion: region,
      eventSourceARN: `arn:aws:kinesis:${region}:${account}:stream/lambda-stream`
    }
  ]
})

const dynamodb = (item: { readonly [key: string]: unknown }) => {
  const image = marshallMap(item)
  const [keyName] = Object.keys(image)
  return {
    Records: [
      {
        eventID: "c4ca4238a0b923820dcc509a6f75849b",
        eventName: "INSERT",
        eventVersion: "1.1",
        eventSource: "aws:dynamodb",
        awsRegion: region,
        dynamodb: {
          ApproximateCreationDateTime: 1428537600,
          Keys: keyName === undefined ? {} : { [keyName]: image[keyName] },
          NewImage: image,
          SequenceNumber: "4421584500000000017450439091",
          SizeBytes: Buffer.byteLength(JSON.stringify(item)),
          StreamViewType: "NEW_AND_OLD_IMAGES"
        },
        eventSourceARN: `arn:aws:dynamodb:${region}:${account}:table/ExampleTableWithStream/stream/2015-06-27T00:48:05.899`
      }
    ]
  }
}

/**
 * A sample event for `source`, with `body` as its payload when given. Fails with {@link SampleError} for an
 * unknown source, a body that is not a JSON object where one is needed, or a body for `scheduled`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sample = (source: string, options: Options = {}): Either.Either<unknown, SampleError> => {
  if (!isSource(source)) {
    return Either.left(new SampleError(`unknown event source ${JSON.stringify(source)}; one of: ${sources.join(", ")}`))
  }
  const body = options.body
  switch (source) {
    case "sqs":
    case "sqs-fifo":
      return Either.right(sqs(body ?? "Hello from SQS!", source === "sqs-fifo"))
    case "sns":
      return Either.right(sns(body ?? "Hello from SNS!"))
    case "s3":
    case "s3-delete":
      return Either.right(s3(body ?? "test/key", source === "s3-delete"))
    case "eventbridge":
      return Either.map(
        body === undefined
          ? Either.right({ "instance-id": "i-1234567890abcdef0", state: "terminated" })
          : parseObject(source, body),
        (detail) =>
          eventBridge("EC2 Instance State-change Notification", "aws.ec2", detail, [
            `arn:aws:ec2:${region}:${account}:instance/i-1234567890abcdef0`
          ])
      )
    case "scheduled":
      return body === undefined
        ? Either.right(
            eventBridge("Scheduled Event", "aws.events", {}, [`arn:aws:events:${region}:${account}:rule/my-schedule`])
          )
        : Either.left(new SampleError("scheduled events carry no body (their detail is {})"))
    case "kinesis":
      return Either.right(kinesis(body ?? "Hello, this is a test 123."))
    case "dynamodb":
      return Either.map(
        body === undefined ? Either.right({ Id: 101, Message: "New item!" }) : parseObject(source, body),
        dynamodb
      )
  }
}
