/**
 * Batch events for tests: N SQS messages (standard or FIFO), Kinesis records or DynamoDB stream records, each
 * carrying a JSON payload `{ "n": <1-based position>, "fail"?: true }`.
 */

export interface Payload {
  readonly n: number
  readonly fail?: boolean
  readonly die?: boolean
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i + 1)

const payload = (n: number, failing: ReadonlySet<number>, dying: ReadonlySet<number>): Payload => ({
  n,
  ...(failing.has(n) ? { fail: true } : {}),
  ...(dying.has(n) ? { die: true } : {})
})

export interface Options {
  readonly count: number
  readonly fail?: ReadonlyArray<number>
  readonly die?: ReadonlyArray<number>
}

export const messageId = (n: number) => `5f8a3c1e-0000-4000-8000-${String(n).padStart(12, "0")}`
export const sequenceNumber = (n: number) =>
  `4959033827149025660855969253836157109592157598913658${String(n).padStart(4, "0")}`
export const dynamoSequence = (n: number) => `44215845000000000174504${String(n).padStart(5, "0")}`

export const sqs = (options: Options & { readonly fifo?: boolean }) => {
  const failing = new Set(options.fail ?? [])
  const dying = new Set(options.die ?? [])
  const queue = options.fifo ? "orders.fifo" : "orders"
  return {
    Records: range(options.count).map((n) => ({
      messageId: messageId(n),
      receiptHandle: `AQEB${n}ZJOLO23YVJ4VO`,
      body: JSON.stringify(payload(n, failing, dying)),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(1_700_000_000_000 + n),
        SenderId: "AIDAIENQZJOLO23YVJ4VO",
        ApproximateFirstReceiveTimestamp: String(1_700_000_000_100 + n),
        ...(options.fifo
          ? { SequenceNumber: `1884949646046769612${n}`, MessageGroupId: "g1", MessageDeduplicationId: `d${n}` }
          : {})
      },
      messageAttributes: {},
      md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
      awsRegion: "us-east-1"
    }))
  }
}

export const kinesis = (options: Options) => {
  const failing = new Set(options.fail ?? [])
  const dying = new Set(options.die ?? [])
  return {
    Records: range(options.count).map((n) => ({
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: "p1",
        sequenceNumber: sequenceNumber(n),
        data: Buffer.from(JSON.stringify(payload(n, failing, dying))).toString("base64"),
        approximateArrivalTimestamp: 1_700_000_000.5 + n
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `shardId-000000000000:${sequenceNumber(n)}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: "arn:aws:iam::123456789012:role/lambda-role",
      awsRegion: "us-east-1",
      eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
    }))
  }
}

export const dynamodb = (options: Options) => {
  const failing = new Set(options.fail ?? [])
  return {
    Records: range(options.count).map((n) => ({
      eventID: `c4ca4238a0b923820dcc509a6f7584${String(n).padStart(2, "0")}`,
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "us-east-1",
      dynamodb: {
        ApproximateCreationDateTime: 1_700_000_000,
        Keys: { pk: { S: `item#${n}` } },
        NewImage: { pk: { S: `item#${n}` }, n: { N: String(n) }, fail: { BOOL: failing.has(n) } },
        SequenceNumber: dynamoSequence(n),
        SizeBytes: 40,
        StreamViewType: "NEW_AND_OLD_IMAGES"
      },
      eventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/Items/stream/2024-01-01T00:00:00.000"
    }))
  }
}
