/** The part of `postject` (Node.js's tool that injects a resource into an executable) the build uses. */
declare module "postject" {
  export function inject(
    filename: string,
    resourceName: string,
    resourceData: Buffer,
    options?: { readonly sentinelFuse?: string; readonly machoSegmentName?: string; readonly overwrite?: boolean }
  ): Promise<void>
}
