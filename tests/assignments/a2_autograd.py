"""Assignment 2, a scalar autograd engine: its mistake bank and alternative solutions.

COURSE.md's list, where it applies here: #2 (`=` instead of `+=` for a reused node: `a + a`,
`x * x`, a value used by two operations), #3 (gradients piling up over two backward passes,
and the opposite slip of resetting the leaves), #4 (a recursive topological sort on a deep
chain), #8 in its tanh form (1 − x² from the input instead of 1 − t² from the output), #10
(an upstream gradient of 1 hides a rule that forgets out.grad); plus the engine's own slips:
no seed, forward order, a wrong power rule, a sort that lists a node twice or is not
topological, a network that cuts its graph or applies tanh to its output, and a call to the
package.
"""

from assignments.bank import Alternative, Mistake

ADD, MUL = "a2-p1-add-tests", "a2-p1-mul-tests"
TANH, EXP, POW = "a2-p2-tanh-tests", "a2-p2-exp-tests", "a2-p2-pow-tests"
TOPO = "a2-p3-tests"
BACKWARD, ZERO = "a2-p4-backward-tests", "a2-p4-zero-grad-tests"
FORWARD, GRADIENT = "a2-p5-forward-tests", "a2-p5-gradient-tests"

MISTAKES = [
    # Part 1: __add__ and __mul__
    Mistake("= instead of += in __add__, so a + a gets 1 instead of 2", "a2-p1-add", {ADD},
            edits=[("self.grad += out.grad ", "self.grad = out.grad "),
                   ("other.grad += out.grad\n", "other.grad = out.grad\n")]),
    Mistake("= instead of += in __mul__, so x * x gets x instead of 2x", "a2-p1-mul", {MUL},
            edits=[("self.grad += out.grad * other.data", "self.grad = out.grad * other.data"),
                   ("other.grad += out.grad * self.data", "other.grad = out.grad * self.data")]),
    Mistake("__mul__ forgets to multiply by out.grad", "a2-p1-mul", {MUL},
            edits=[("self.grad += out.grad * other.data", "self.grad += other.data"),
                   ("other.grad += out.grad * self.data", "other.grad += self.data")]),
    Mistake("__mul__ gives each factor its own value, not the other factor", "a2-p1-mul", {MUL},
            edits=[("self.grad += out.grad * other.data", "self.grad += out.grad * self.data"),
                   ("other.grad += out.grad * self.data", "other.grad += out.grad * other.data")]),
    # Part 2: tanh, exp, __pow__
    Mistake("tanh' computed from the input, 1 - x², instead of the output", "a2-p2-tanh",
            {TANH}, edits=[("1.0 - out.data * out.data", "1.0 - self.data * self.data")]),
    Mistake("= instead of += in tanh", "a2-p2-tanh", {TANH},
            edits=[("self.grad += out.grad * (1.0", "self.grad = out.grad * (1.0")]),
    Mistake("exp forgets to multiply by out.grad", "a2-p2-exp", {EXP},
            edits=[("self.grad += out.grad * out.data", "self.grad += out.data")]),
    Mistake("power rule without the factor k: x^(k-1)", "a2-p2-pow", {POW},
            edits=[("out.grad * k * self.data ** (k - 1)", "out.grad * self.data ** (k - 1)")]),
    Mistake("power rule with the exponent unchanged: k x^k", "a2-p2-pow", {POW},
            edits=[("out.grad * k * self.data ** (k - 1)", "out.grad * k * self.data ** k")]),
    # Part 3: topological_order
    Mistake("recursive topological sort, fails past 1,000 nodes", "a2-p3-topological-order",
            {TOPO}, body="""
                order, visited = [], set()

                def visit(v):
                    if v not in visited:
                        visited.add(v)
                        for child in v._prev:
                            visit(child)
                        order.append(v)
                visit(root)
                return order
            """),
    Mistake("no visited set: a reused node is listed twice", "a2-p3-topological-order",
            {TOPO}, body="""
                order, stack = [], [(root, False)]
                while stack:
                    node, inputs_done = stack.pop()
                    if inputs_done:
                        order.append(node)
                    else:
                        stack.append((node, True))
                        for child in node._prev:
                            stack.append((child, False))
                return order
            """),
    Mistake("breadth-first search, reversed: not a topological order",
            "a2-p3-topological-order", {TOPO}, body="""
                order, seen, queue = [], {root}, [root]
                while queue:
                    node = queue.pop(0)
                    order.append(node)
                    for child in node._prev:
                        if child not in seen:
                            seen.add(child)
                            queue.append(child)
                return order[::-1]
            """),
    Mistake("calls backprop_ref's topological_order", "a2-p3-topological-order", {TOPO},
            body="""
                from backprop_ref.autograd import topological_order as reference
                return reference(root)
            """),
    # Part 4: backward and zero_grad
    Mistake("backward does not seed the root's grad with 1", "a2-p4-backward", {BACKWARD},
            edits=[("    self.grad = 1.0                  # dL/dL\n", "")]),
    Mistake("backward visits the nodes in forward order", "a2-p4-backward", {BACKWARD},
            edits=[("for node in nodes[::-1]:", "for node in nodes:")]),
    Mistake("backward does not reset the interior nodes: gradients pile up on a second call",
            "a2-p4-backward", {BACKWARD},
            edits=[("    for node in nodes:\n        if node._prev:               # made by an "
                    "operation: this pass only\n            node.grad = 0.0\n", "")]),
    Mistake("backward resets the leaves too: they stop accumulating across calls",
            "a2-p4-backward", {BACKWARD},
            edits=[("        if node._prev:               # made by an operation: this pass "
                    "only\n            node.grad = 0.0", "        node.grad = 0.0")]),
    Mistake("backward calls backprop_ref's Value.backward on the student's graph",
            "a2-p4-backward", {BACKWARD}, body="""
                from backprop_ref.autograd import Value as Reference
                Reference.backward(self)
            """),
    Mistake("zero_grad resets only the node it is called on", "a2-p4-zero-grad", {ZERO},
            body="""
                self.grad = 0.0
            """),
    # Part 5: MLP.__call__
    Mistake("tanh on the last layer too", "a2-p5-mlp-call", {FORWARD, GRADIENT},
            edits=[("a = z if is_last else [zj.tanh() for zj in z]",
                    "a = [zj.tanh() for zj in z]")]),
    Mistake("the network forgets the bias", "a2-p5-mlp-call", {FORWARD, GRADIENT},
            edits=[("total = b[j]", "total = 0.0")]),
    Mistake("transposed weight index W[j][i]", "a2-p5-mlp-call", {FORWARD, GRADIENT},
            edits=[("a[i] * W[i][j]", "a[i] * W[j][i]")]),
    Mistake("computes each unit from .data and wraps it in a new Value, cutting the graph",
            "a2-p5-mlp-call", {GRADIENT}, body="""
                a = list(x)
                for l, (W, b) in enumerate(zip(self.W, self.b)):
                    z = []
                    for j in range(len(b)):
                        total = b[j].data
                        for i in range(len(a)):
                            total += getattr(a[i], "data", a[i]) * W[i][j].data
                        z.append(Value(total))
                    a = z if l == len(self.W) - 1 else [zj.tanh() for zj in z]
                return a
            """),
]

ALTERNATIVES = [
    Alternative("written differently: slopes captured in the forward pass, Kahn's algorithm, "
                "sum() over generators", bodies={
                    "a2-p1-add": """
                        other = other if isinstance(other, Value) else Value(other)
                        out = Value(self.data + other.data, _children=(self, other), _op="+")

                        def _chain():
                            for v in (self, other):   # a + a visits a twice: two contributions
                                v.grad += out.grad
                        out._backward = _chain
                        return out
                    """,
                    "a2-p1-mul": """
                        other = as_value(other)
                        slopes = ((self, other.data), (other, self.data))
                        out = Value(self.data * other.data, _children=(self, other), _op="*")

                        def _chain():
                            for v, slope in slopes:
                                v.grad += slope * out.grad
                        out._backward = _chain
                        return out
                    """,
                    "a2-p2-tanh": """
                        t = math.tanh(self.data)
                        slope = 1.0 - t ** 2
                        out = Value(t, _children=(self,), _op="tanh")

                        def _chain():
                            self.grad += slope * out.grad
                        out._backward = _chain
                        return out
                    """,
                    "a2-p2-exp": """
                        e = math.e ** self.data
                        out = Value(e, _children=(self,), _op="exp")

                        def _chain():
                            self.grad += e * out.grad
                        out._backward = _chain
                        return out
                    """,
                    "a2-p2-pow": """
                        slope = k * math.pow(self.data, k - 1)
                        out = Value(math.pow(self.data, k), _children=(self,), _op="pow")

                        def _chain():
                            self.grad += slope * out.grad
                        out._backward = _chain
                        return out
                    """,
                    "a2-p3-topological-order": """
                        found, stack, seen = [], [root], {id(root)}   # every node, any order
                        while stack:
                            v = stack.pop()
                            found.append(v)
                            for c in v._prev:
                                if id(c) not in seen:
                                    seen.add(id(c))
                                    stack.append(c)
                        uses = {id(v): 0 for v in found}              # Kahn: count the uses
                        for v in found:
                            for c in v._prev:
                                uses[id(c)] += 1
                        ready, backwards = [root], []
                        while ready:
                            v = ready.pop()
                            backwards.append(v)
                            for c in v._prev:
                                uses[id(c)] -= 1
                                if uses[id(c)] == 0:
                                    ready.append(c)
                        return list(reversed(backwards))
                    """,
                    "a2-p4-backward": """
                        order = topological_order(self)
                        for v in order:
                            v.grad = v.grad if not v._prev else 0.0
                        self.grad = 1.0
                        for v in reversed(order):
                            v._backward()
                    """,
                    "a2-p4-zero-grad": """
                        stack, seen = [self], set()
                        while stack:
                            v = stack.pop()
                            if id(v) not in seen:
                                seen.add(id(v))
                                v.grad = 0.0
                                stack.extend(v._prev)
                    """,
                    "a2-p5-mlp-call": """
                        a = list(x)
                        for l in range(len(self.W)):
                            W, b = self.W[l], self.b[l]
                            z = [sum((a_i * row[j] for a_i, row in zip(a, W)), b[j])
                                 for j in range(len(b))]
                            a = [zj.tanh() for zj in z] if l + 1 < len(self.W) else z
                        return a
                    """,
                }),
    Alternative("correct, but noisy: warns and writes to stderr", bodies={
        "a2-p2-tanh": """
            import warnings
            warnings.warn("tanh: this engine is slow")
            out = Value(math.tanh(self.data), (self,), "tanh")

            def tanh_backward():
                self.grad += out.grad * (1.0 - out.data * out.data)
            out._backward = tanh_backward
            return out
        """,
        "a2-p3-topological-order": """
            import os
            import sys
            print("sorting", file=sys.stderr)
            os.write(2, b"and straight to file descriptor 2\\n")
            order, visited = [], {root}
            stack = [(root, iter(root._prev))]
            while stack:
                node, inputs = stack[-1]
                for child in inputs:
                    if child not in visited:
                        visited.add(child)
                        stack.append((child, iter(child._prev)))
                        break
                else:
                    stack.pop()
                    order.append(node)
            return order
        """,
        "a2-p5-mlp-call": """
            import warnings
            warnings.warn("MLP: one Python operation per scalar", RuntimeWarning)
            a = list(x)
            for l, (W, b) in enumerate(zip(self.W, self.b)):
                z = []
                for j in range(len(b)):
                    total = b[j]
                    for i in range(len(a)):
                        total = total + a[i] * W[i][j]
                    z.append(total)
                a = z if l == len(self.W) - 1 else [zj.tanh() for zj in z]
            return a
        """,
    }),
]
