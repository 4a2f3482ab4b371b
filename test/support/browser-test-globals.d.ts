/**
 * Types for the browser suite, which has neither @types/mocha nor chai typings installed: the mocha
 * globals web-test-runner provides, and the part of chai 6's `expect` the tests use. Kept small and
 * free of `any` on purpose; extend it when a test needs more of chai.
 */
type MochaDone = (error?: unknown) => void
type MochaFn = (() => void | Promise<unknown>) | ((done: MochaDone) => void)

declare function describe (title: string, body: () => void): void
declare function it (title: string, body?: MochaFn): void
declare function before (body: MochaFn): void
declare function after (body: MochaFn): void
declare function beforeEach (body: MochaFn): void
declare function afterEach (body: MochaFn): void

declare module 'chai' {
  export interface Assertion {
    to: Assertion
    be: Assertion
    been: Assertion
    is: Assertion
    that: Assertion
    which: Assertion
    and: Assertion
    has: Assertion
    have: Assertion
    with: Assertion
    at: Assertion
    of: Assertion
    not: Assertion
    deep: Assertion
    ok: Assertion
    true: Assertion
    false: Assertion
    null: Assertion
    undefined: Assertion
    exist: Assertion
    empty: Assertion
    equal (value: unknown, message?: string): Assertion
    eql (value: unknown, message?: string): Assertion
    include (value: unknown, message?: string): Assertion
    contain (value: unknown, message?: string): Assertion
    match (pattern: RegExp, message?: string): Assertion
    a (type: string, message?: string): Assertion
    an (type: string, message?: string): Assertion
    above (n: number, message?: string): Assertion
    below (n: number, message?: string): Assertion
    least (n: number, message?: string): Assertion
    most (n: number, message?: string): Assertion
    length (n: number, message?: string): Assertion
    lengthOf (n: number, message?: string): Assertion
    property (name: string, value?: unknown): Assertion
    members (values: unknown[], message?: string): Assertion
    instanceOf (ctor: abstract new (...args: never[]) => unknown, message?: string): Assertion
    throw (expected?: RegExp | string | (abstract new (...args: never[]) => unknown), message?: string): Assertion
  }
  export function expect (value: unknown, message?: string): Assertion
}
