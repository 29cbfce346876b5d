"""What the checker knows about each question family and claim, beyond the catalogue's own text.

* ``FAMILY_CUES``: weighted cue terms per family, added to the TF-IDF match.
* ``PROPOSITIONS``: per claim, regular expressions for what a sentence states.
  Every pattern is written in its *positive literal* form; a negation in the
  clause before or inside the match ("not", "does not", "never", ...) flips it.
  ``pos``: the sentence asserts the claim; ``neg``: it asserts the opposite;
  ``nuance``: it states what the claim's test establishes where the claim's
  own wording is only half right (graded right unless the verdict is missing
  or undecided), each with the polarity it needs.
* ``ORDERS``: complexity claims as big-O orders per role, the claim's and the
  true ones (from the catalogue's test text).
* ``SEQUENCES`` and ``TRENDS``: the number-table and the trend claims.

Patterns run on lower-cased, OCR-corrected sentences (see extract.py).
"""

from __future__ import annotations

from dataclasses import dataclass

G = r"[^.;]{0,90}?"  # a gap inside one clause-ish span
G2 = r"[^.;]{0,160}?"

AE = r"(?:plain |vanilla |ordinary |standard |regular |deterministic |normal )?(?:auto-?encoder|\bae\b)"
PLAIN_AVG = (r"(?:(?:plain|simple|uniform|arithmetic|ordinary|cumulative|equal[- ]weight(?:ed)?|running|"
             r"unweighted|true|full|overall|global)\s+(?:average|mean|averaging|sum)|(?:average|mean|sum) of all(?: the)?"
             r"(?: past| previous| the)? gradients|all past gradients|averag\w* (?:over )?all(?: the)?(?: past| previous)? "
             r"gradients)")
EMA = r"(?:\bema\b|exponential(?:ly)?(?: weighted)?(?: moving)? averag\w*|moving average|adam)"
STEP = r"(?:step(?:[- ]?size)?|\beta\b|η|learning[- ]rate|\blr\b)"
SCALAR = r"(?:scalar|single (?:number|value|real)|one number)"
MOVED = r"(?:shift\w*|translat\w*|mov(?:e|ed|es|ing)\b|displac\w*|offset\w*)"
DEGRADE = (r"(?:suffer\w*|worse|sensitive|drops?|dropp\w*|fails?|hurt\w*|degrad\w*|lose\w*|brittle|struggl\w*|"
           r"collaps\w*|plummet\w*|falls?|decreas\w*|tanks?|crash\w*)")
LESS_ROBUST = r"(?:less|not as|far less|much less) (?:robust|tolerant|invariant)"
SMALL = r"(?:small(?:er)?|tiny|reduc\w*|decreas\w*|lower\w*|less than 1|< ?1|0?\.\d+|half|shrink\w*)"


@dataclass(frozen=True)
class Prop:
    claim: str
    pos: tuple[str, ...] = ()
    neg: tuple[str, ...] = ()
    nuance: tuple[tuple[str, bool], ...] = ()  # (pattern, polarity it needs: True = as written)
    exclude: tuple[str, ...] = ()  # a sentence matching one of these is not about this claim
    says_pos: str = ""
    says_neg: str = ""
    says_nuance: str = ""
    span_negation: bool = False  # only a negation inside the match counts ("never reaches the equilibrium (0, 0)")


PROPOSITIONS: tuple[Prop, ...] = (
    # -- Q-seq ---------------------------------------------------------------------------------------
    Prop("seq.sequential-steps",
         pos=((rf"(?:rnn|recurren\w*|lstm|gru)\b{G}(?:sequential|serial|step[- ]by[- ]step|one (?:step|token) at a time|"
              rf"(?:token|word|element)[- ]by[- ](?:token|word|element)|one after (?:the )?other|"
              rf"\bt\b (?:sequential )?steps|o\(t\)|walk\w*|in order)"),
              (rf"(?<!and )(?<!both )(?:transformer|self[- ]attention|attention layers?){G}(?:parallel\w*|simultaneous\w*|at once|at the same time|"
               rf"only (?:has |needs )?(?:o\()?l\b|depends? only on (?:the )?(?:number of )?"
              rf"(?:layers|depth|l\b)|o\(l\)|independent of (?:the )?(?:sequence length|t\b))"),
              r"(?:sequential|serial) steps?" + G + r"(?:rnn|recurren\w*)"),
         neg=(rf"(?:rnn|recurren\w*|\bboth\b|\ball (?:the )?models)\b{G}(?:parallel\w*)",),
         exclude=(r"(?:test[- ]time|inference|decod\w*|generat\w*|autoregress\w*)",),
         says_pos="an RNN needs O(t) sequential steps; a Transformer's depend only on l",
         says_neg="an RNN does not need O(t) sequential steps"),
    Prop("seq.decode-sequential",
         pos=((rf"(?:test[- ]time|inference|decod\w*|generat\w*|autoregress\w*){G}(?:sequential\w*|one (?:token|step) at a "
              rf"time|token[- ]by[- ]token|step[- ]by[- ]step|\bt\b (?:dependent |sequential )?steps|one (?:token|step|word) "
              rf"(?:after|by one|at a time)|after (?:the )?other|in sequence|one (?:at a time|by one)|"
              rf"(?:token|word) (?:after|by) (?:token|word))"),),
         neg=(rf"(?:test[- ]time|inference|decod\w*|generat\w*){G}transformer{G}(?:parallel\w*)",
              rf"transformer{G}(?:test[- ]time|inference|decod\w*|generat\w*){G}(?:parallel\w*)"),
         says_pos="at test time the Transformer is sequential too",
         says_neg="a Transformer decodes in parallel at test time"),
    Prop("seq.per-token",
         pos=((rf"(?:layer ?norm\w*|feed[- ]?forward|\bmlp\b|\bffn\b|position[- ]?wise){G2}(?:each (?:token|position|"
              rf"element)|per[- ](?:token|position)|separately|independently|individually|position[- ]?wise|token[- ]?wise|"
              rf"in isolation|on its own|one (?:token|position) at a time)"),),
         neg=((rf"(?:layer ?norm\w*|feed[- ]?forward|\bmlp\b|\bffn\b){G}(?:mix\w*|look\w*|interact\w*|depend\w*|attend\w*|"
              rf"combin\w*){G}(?:across|other|between|several|different) (?:tokens|positions)"),),
         says_pos="feed-forward and LayerNorm act on each position separately",
         says_neg="feed-forward or LayerNorm mix positions"),
    Prop("seq.time-infer",
         pos=(rf"(?:test[- ]time|inference|generation){G}(?:same|also|identical|as well|likewise){G}(?:order|cost|complexit)",
              rf"(?:test[- ]time|inference|generation){G}(?:order|cost|complexit)\w*{G}(?:same|unchanged|identical|hold)"),
         says_pos="the same orders hold at test time"),
    Prop("seq.time-train",
         nuance=(((r"(?:t ?>> ?n|t ?≫ ?n|t\s*\\gg\s*n|t (?:is )?(?:much )?(?:larger|bigger|greater|longer) than n|"
                  r"t\^2 ?\*? ?l ?\*? ?n ?\+ ?t ?\*? ?l ?\*? ?n\^2|n\^2 ?\*? ?t ?\+)"), True),
                 # the Transformer's own n^2 term: its feed-forward / projections, dominating for short sequences
                 (r"(?:feed[- ]?forward|\bffn\b|\bmlp\b|projections?|linear layers?)[^.;]{0,80}?n ?\^ ?2", True),
                 (r"(?:short (?:sequences?|inputs?)|small t|t ?(?:<<|<|≪) ?n)[^.;]{0,60}?dominat\w*", True)),
         says_nuance="the Transformer's t^2*l*n dominates only when t >> n (true cost l(t^2 n + t n^2))"),
    # -- Q-lookup ------------------------------------------------------------------------------------
    Prop("lookup.copy",
         pos=((rf"(?:output|result|attention|it){G}(?:is|equals|≈|~|approximately|close to|returns?|gives?|copies|"
              rf"picks?|selects?|retrieves?){G}v_?\{{?j\b"),
              (rf"(?:dominat\w*|much larger|largest|maximal|biggest){G2}(?:v_?\{{?j\b|its value|that value|cop(?:y|ies)|"
              rf"one[- ]hot|close to (?:1|one))"),
              rf"(?:weights?|softmax){G}(?:concentrat\w*|one[- ]hot|close to (?:1|one)|≈ ?1)",
              (rf"(?:returns?|gives?|retriev\w*|reads? out|outputs?|copies|picks?|selects?|recovers?){G}"
               rf"(?:(?:that|this|its|the matching|the corresponding|the same|the best[- ]matching) (?:key'?s |one'?s )?value\b|"
               rf"value (?:of|for|associated with|belonging to|paired with) (?:that|this|the (?:matching|best|top|winning|"
               rf"dominant|corresponding)) key)")),
         says_pos="the output is v_j when k_j.q dominates"),
    Prop("lookup.average",
         pos=(r"\(?v_?\{?a\}? ?\+ ?v_?\{?b\}?\)? ?/ ?2", r"\\frac\{v_?\{?a\}? ?\+ ?v_?\{?b\}?\}\{2\}",
              rf"(?:average|mean|half){G}(?:v_?a\b|two values|both values|\bv_a\b)",
              r"(?:1/2|0\.5|half)\s*\(?v_?a"),
         says_pos="the output is (v_a + v_b)/2"),
    # -- Q-elbo --------------------------------------------------------------------------------------
    Prop("elbo.decomposition",
         pos=((rf"(?:elbo|lower bound|l\(x\)|(?<![a-z_\\])l(?= ?(?:\(x\) ?)?=)){G2}(?:=|is|equals){G2}(?:e_|\\mathbb\{{e\}}|expect\w*|log ?p\(x ?\| ?z\)|"
              rf"reconstruction){G2}(?:-|minus){G}(?:kl|d_?\{{?kl|kullback)"),
              rf"reconstruction (?:term|loss|likelihood){G}(?:minus|-){G}(?:kl|d_?\{{?kl)"),
         neg=((rf"(?:elbo|lower bound|l\(x\)){G2}(?:=|is|equals){G2}(?:e_|\\mathbb\{{e\}}|expect\w*|log ?p\(x ?\| ?z\)|"
              rf"reconstruction){G2}(?:\+|plus){G}(?:kl|d_?\{{?kl|kullback)"),),
         says_neg="ELBO = E_q[log p(x|z)] + KL (wrong sign)",
         says_pos="ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z))"),
    Prop("elbo.bound",
         pos=(rf"(?:elbo|it|objective){G}lower[- ]bound", r"log ?p\(x\) ?(?:≥|>=|\\geq?)",
              (rf"log ?p\(x\){G}(?:greater than|larger than|bigger than|at least|above|upper[- ]bound|"
               rf"bounded below){G}(?:elbo|bound|objective)"),
              rf"(?:elbo|it){G}(?:≤|<=|\\leq?|below|at most|smaller than|less than){G}log ?p\(x\)",
              r"(?:≤|<=|\\leq?) ?log ?p\(x\)"),
         neg=(rf"(?:elbo|it){G}upper[- ]bound", r"log ?p\(x\) ?(?:≤|<=|\\leq?)", r"(?:≥|>=|\\geq?) ?log ?p\(x\)",
              rf"(?:elbo|it){G}(?:exceeds|above|greater than|larger than){G}log ?p\(x\)"),
         exclude=(r"ddpm|diffusion|x_?\{?0\}?\)",),
         says_pos="the ELBO is a lower bound on log p(x)", says_neg="the ELBO is not a lower bound on log p(x)"),
    Prop("elbo.term-roles",
         pos=((rf"(?:likelihood|reconstruction|log ?p\(x ?\| ?z\)|first|expectation|expected log)\w*(?: term)?{G}"
              rf"(?:regulari[sz]\w*)"),
              rf"(?:kl|kullback|d_?\{{?kl|second)\w*(?: term| divergence)?{G}(?:reconstruct\w*)"),
         neg=(rf"(?:kl|kullback|d_?\{{?kl|second)\w*(?: term| divergence)?{G}(?:regulari[sz]\w*)",
              (rf"(?:likelihood|log ?p\(x ?\| ?z\)|first|expected log)\w*(?: term)?{G}(?:reconstruct\w*|fit\w*|"
              rf"data[- ]fit|explain\w*)")),
         says_pos="the likelihood term is the regularization term",
         says_neg="the likelihood term drives reconstruction; the KL term regularizes"),
    # -- Q-minmax ------------------------------------------------------------------------------------
    Prop("minmax.no-convergence",
         pos=((r"(?:cycl\w*|periodic\w*|period (?:of )?\d|repeat\w*|orbit\w*|oscillat\w*|circl\w*|loops?\b|rotat\w*|"
              r"spiral\w*|diverg\w*|goes? (?:a)?round)"),),
         neg=((r"(?:converg\w*|reach\w*|approach\w*|get\w* (?:to|close)|arriv\w*|settl\w*|end\w* up at)"
              rf"{G}(?:optimum|equilibrium|\(0, ?0\)|origin|solution|saddle|nash)"),
              r"\b(?:it|iterates?|sequence|gda|updates?|they|dynamics|p and q|this)\b[^.;]{0,30}\bconverg\w*"),
         exclude=(rf"{SMALL}{G}{STEP}", rf"{STEP}{G}(?:of |=|:|to )?\s*{SMALL}", r"extragradient|optimistic",
                  r"(?:if|when|with) (?:we )?(?:use|take|choose|pick)"),
         says_pos="with eta = 1 the iterates never reach the optimum",
         says_neg="with eta = 1 the iterates reach the optimum"),
    Prop("minmax.small-step",
         pos=((rf"(?:{SMALL}{G}{STEP}|{STEP}{G}(?:of |=|:|to |is )?\s*{SMALL}){G2}(?:converg\w*|reach\w*|approach\w*|"
              rf"help\w*|fix\w*|solv\w*|preferab\w*|better|stabili[sz]\w*|get\w* (?:to|close))"),
              rf"{STEP}{G}(?:too (?:large|big|high))"),
         neg=((rf"(?:{SMALL}{G}{STEP}|{STEP}{G}(?:of |=|:|to )?\s*{SMALL}){G2}(?:still|also|keeps?|continu\w*|only)?"
              rf"\s*(?:cycl\w*|orbit\w*|oscillat\w*|circl\w*|rotat\w*|loop\w*)"),),
         says_pos="a smaller step would converge", says_neg="a smaller step still cycles (no convergence)"),
    Prop("minmax.equilibrium",
         pos=((r"(?:equilibri\w*|optimum|optimal point|saddle(?: point)?|nash|stationary point|solution)"
              r"[^.;]{0,40}?(?:\(0, ?0\)|origin|p ?= ?q ?= ?0|p ?= ?0)"),
              r"(?:\(0, ?0\)|origin|p ?= ?q ?= ?0)[^.;]{0,40}?(?:equilibri\w*|optimum|saddle|nash|stationary)"),
         neg=((r"(?:equilibri\w*|optimum|saddle(?: point)?|nash|stationary point)[^.;]{0,30}?\((?!0 ?, ?0\))[-\d.]+ ?, ?"
              r"[-\d.]+\)"),
              (r"(?:equilibri\w*|optimum|saddle(?: point)?|nash|stationary point)[^.;]{0,30}?\b[pq] ?= ?(?!0(?:\.0*)?\b)"
               r"-?\d")),
         says_pos="the equilibrium is (0, 0)", span_negation=True),
    # -- Q-depth -------------------------------------------------------------------------------------
    Prop("depth.uat",
         pos=((rf"(?:one|single|1|a|two[- ]layer|shallow)\s+hidden[- ]layer{G2}(?:approximat\w*|"
              rf"any (?:continuous )?(?:target|mapping|map)|any (?:continuous )?function|arbitrar\w*|universal|"
              rf"enough|sufficient|suffices?)"), r"universal approximat\w*(?: theorem)?" + G + r"(?:says|states|"
              r"shows|guarantees|means|:|implies)", r"universal approximators?",
              rf"universal approximat\w*(?: theorem)?{G}(?:approximat\w*|any (?:continuous )?function)"),
         says_pos="one hidden layer approximates any continuous function, given width",
         says_neg="one hidden layer cannot approximate every continuous function"),
    Prop("depth.efficiency",
         pos=((rf"(?:deep\w*|depth|more layers|many layers){G2}(?:fewer|less|exponentially (?:fewer|less|smaller)|"
              rf"far fewer|more (?:efficient|compact)|efficien\w*|compact\w*|smaller|advantage|benefit|buy\w*|gain\w*|help\w*)"),
              (rf"(?:shallow|one hidden layer|single(?: hidden)? layer){G2}(?:exponentially (?:many|more|wide)|2\^k|many more|"
              rf"much wider|far more|huge|enormous)"),
              (rf"(?:exponentially (?:many|more|wide|large)|2\^k|many more|far more){G2}(?:shallow|one hidden layer|"
               rf"single(?: hidden)? layer)")),
         says_pos="depth represents some functions with far fewer units",
         says_neg="depth brings no saving in units"),
    # -- Q-cnn ---------------------------------------------------------------------------------------
    Prop("cnn.params",
         pos=((rf"(?:cnn|convolution\w*|conv\w*net){G}(?:fewer|less|far fewer|smaller number of|much fewer|"
              rf"a fraction of the){G}(?:parameters|weights|params)"),
              (rf"(?:mlp|fully[- ]connected|dense)\w*{G}(?:more|many more|far more|much more|lots of){G}"
              rf"(?:parameters|weights|params)"),
              (rf"(?:weight[- ]sharing|shared weights|local connectivity){G}(?:fewer|reduc\w*|less|saves?){G}"
              rf"(?:parameters|weights|params)")),
         neg=((r"\b(?:cnn|convolution\w*|convnet)s?\b[^.;,]{0,40}?\b(?:more|as many|a similar number of|the same number of)\s+"
              r"(?:\w+\s+)?(?:parameters|weights|params)\b"),),
         says_pos="a CNN needs far fewer parameters than an MLP",
         says_neg="a CNN needs as many parameters as an MLP, or more"),
    Prop("cnn.shift-robustness",
         pos=(rf"(?:mlp|fully[- ]connected|dense)\w*{G2}(?:{DEGRADE}|{LESS_ROBUST}){G2}(?:{MOVED}|position)",
              rf"{MOVED}{G2}(?:mlp|fully[- ]connected|dense){G2}(?:{DEGRADE}|{LESS_ROBUST})",
              rf"{MOVED}{G2}(?:hurt\w*|harm\w*|affect\w*|degrad\w*|damag\w*){G}(?:mlp|fully[- ]connected|dense)",
              (rf"(?:cnn|convolution\w*|convnet){G}(?:robust\w*|handles?|insensitive|tolerat\w*|copes?){G}"
               rf"(?:shift\w*|translat\w*)")),
         neg=((rf"(?:mlp|fully[- ]connected|dense)\w*{G}(?<!less )(?<!not as )(?:robust\w*|tolerant|insensitive|"
               rf"unaffected)\w*{G}(?:{MOVED}|position)"),),
         exclude=(r"invarian\w*|equivarian\w*",),
         says_pos="an MLP suffers more from shifted inputs than a CNN", says_neg="an MLP copes with shifts as well"),
    Prop("cnn.linear-stack",
         pos=(rf"(?:activation\w*|relu|non[- ]?linear\w*|max-?pool\w*|pooling){G2}(?:non[- ]?linear\w*|break\w*|not linear)",
              (rf"non[- ]?linear\w*{G2}(?:because|due to|from|thanks to|comes? from|via|through|by|owing to){G}"
               rf"(?:activation\w*|relu|pool\w*|sigmoid|tanh)")),
         neg=(rf"\b(?:cnn|convolutional (?:neural )?net\w*)s?\b{G}(?:is|are|remains?) (?:not |never |no longer )?(?:a |just a |simply a )?linear",),
         says_pos="convolution is linear; activations and pooling make a CNN non-linear",
         says_neg="a CNN is a linear map"),
    # -- Q-bias --------------------------------------------------------------------------------------
    Prop("bias.equivariance",
         pos=(rf"(?:weight[- ]sharing|convolution\w*|cnn|conv\w* layers?){G}(?:translation(?:al)?[- ])?invarian\w*",),
         nuance=((rf"(?:convolution\w*|weight[- ]sharing|conv\w* layers?|cnn){G}equivarian\w*", True),
                 (rf"(?:pool\w*){G}invarian\w*", True)),
         says_pos="weight sharing makes a CNN translation invariant",
         says_nuance="convolution is equivariant; invariance comes from pooling"),
    Prop("bias.data-efficiency",
         pos=((rf"(?:bias\w*|cnn|prior|convolution\w*){G}(?:less|fewer|smaller amounts? of|little){G}(?:data|examples|"
              r"samples|training)"), r"(?:data|sample)[- ]efficien\w*",
              (rf"(?:bias\w*|cnn|prior|convolution\w*){G}(?:reduc\w*|lower\w*|cuts?|decreas\w*|saves?){G}"
               r"(?:data|examples|samples|training set)"),
              (r"(?:needs?|requires?|uses?|with|from)\s+(?:far |much |many |a lot )?(?:less|fewer)\s+(?:training\s+|"
               r"labell?ed\s+)?(?:data|examples|samples|images|digits)"),
              rf"(?:mlp|fully[- ]connected){G}(?:more|much more|far more|lots of){G}(?:data|examples|samples)"),
         says_pos="the right bias needs less data"),
    Prop("bias.misaligned",
         pos=((rf"(?:wrong|misaligned|mismatched|bad|incorrect|inappropriate|poor|unsuited)\w* (?:inductive )?(?:bias|prior)"
              rf"\w*{G2}(?:hurt\w*|harm\w*|worse|degrad\w*|damag\w*|fail\w*|lower|reduc\w*)"),
              rf"permut\w*{G2}(?:cnn|convolution\w*){G2}(?:worse|degrad\w*|drops?|fail\w*|suffer\w*|hurt\w*|los\w*)",
              (rf"permut\w*{G2}(?:mlp|fully[- ]connected){G2}(?:unaffected|unchanged|the same|invariant|not affected|"
              rf"does not care|doesn't care)"),
              (rf"(?#fixed)(?:bias|prior|assumption)\w*{G}(?:does not|doesn't|do not|don't|fails? to) (?:match|fit|suit|"
               rf"hold|reflect)\w*{G2}(?:hurt\w*|harm\w*|worse|degrad\w*|suffer\w*|fail\w*|lower|reduc\w*|drops?)")),
         says_pos="a wrong bias hurts (permuted pixels: the CNN degrades, the MLP does not)"),
    # -- Q-ema ---------------------------------------------------------------------------------------
    Prop("ema.adaptivity",
         pos=((rf"{PLAIN_AVG}{G2}(?:slow\w*|sluggish|lag\w*|inert\w*|stale|takes? (?:longer|long|more steps)|"
              rf"(?:needs?|takes?|requires?) (?:many |much |a lot )?(?:more|longer)|remembers? (?:every|all)|"
              rf"cannot (?:adapt|react|forget)|can't (?:adapt|react|forget)|old gradients|past gradients dominate)"),
              rf"{EMA}[^.;,]{{0,40}}?(?:adapt\w*|react\w*|forget\w*|recent|faster|track\w*|quickly)"),
         neg=((rf"{PLAIN_AVG}{G2}(?:adapt\w*|react\w*|respond\w*)\s+(?:just\s+)?(?:as (?:fast|quickly)|faster|quicker|"
              rf"equally)"),
              rf"{PLAIN_AVG}{G2}(?:behave\w*|work\w*|perform\w*|act\w*) (?:exactly )?(?:the )?same"),
         exclude=((r"^(?!.*(?:landscape|chang|jump|shift|mov|adapt|react|respond|recover|slow|sluggish|lag)).*"
                  r"(?:noise|variance)"),),
         says_pos="a plain average of past gradients reacts more slowly when the landscape changes",
         says_neg="a plain average reacts as fast as a moving average"),
    Prop("ema.noise",
         pos=(rf"{PLAIN_AVG}{G2}(?:retain\w*|keeps?|remains?|stays?|preserv\w*){G}noise",
              rf"{EMA}{G2}(?:filter\w*|smooth\w*|reduc\w*|damp\w*|suppress\w*){G}noise",
              rf"{EMA}[^.;,]{{0,30}}?(?:filter\w*|smooth\w*|damp\w*|suppress\w*)"),
         neg=((rf"{PLAIN_AVG}{G2}(?:averag\w* out|reduc\w*|lower\w*|decreas\w*|vanish\w*|shrink\w*|filter\w*|"
              rf"smooth\w*|cancel\w*){G}(?:noise|variance)"),
              r"(?:σ|sigma|\\sigma)\^?2? ?/ ?t\b"),
         says_pos="the moving average filters gradient noise; a plain average retains it",
         says_neg="a plain average of all past gradients filters the noise (variance sigma^2/t)"),
    # -- Q-scalar ------------------------------------------------------------------------------------
    Prop("scalar.error",
         pos=(rf"backward(?:\(\))?{G}(?:needs?|requires?|must|only|expects?|works? on){G}{SCALAR}",
              rf"\b{SCALAR} (?:output |loss |value )?(?:is |are )?(?:needed|required|necessary|expected|mandatory)",
              rf"(?:only|needs?|requires?|must (?:be|have)|expects?){G}(?:gradients? of )?(?:a )?{SCALAR}",
              (rf"(?:non-?scalar|vector|tensor|multi-?element)\w*{G2}(?:error|raises?|fails?|exception|complain\w*|"
              rf"runtimeerror|grad can be implicitly created only)"),
              r"implicitly created only for scalar",
              rf"(?#fixed)(?:without|no|not) (?:a )?scalar{G2}(?:error|raise\w*|fail\w*|exception|complain\w*)"),
         says_pos="backward() needs a scalar (a non-scalar output raises)"),
    Prop("scalar.vjp",
         pos=(rf"(?:otherwise|non-?scalar|vector(?:-valued)? output|several outputs|many outputs){G2}jacobian",
              r"vector[- ]jacobian|\bvjp\b|v\^t ?j\b|v\^\{?t\}? ?\\?cdot ?j|grad_outputs|gradient=",
              rf"(?:vector|tensor|non-?scalar)\w*{G2}jacobian", rf"jacobian{G2}(?:vector|tensor|non-?scalar)",
              (r"(?:get|gets|gives?|returns?|obtain\w*|becomes?|would be|need\w*|is|are)\s+(?:a |the |an )?(?:full |whole |"
               r"entire )?jacobians?\b"),
              rf"jacobian{G}(?:times|contract\w*|product){G}vector"),
         says_pos="for a non-scalar output the gradient is a Jacobian (backward computes v^T J)"),
    Prop("scalar.cost",
         pos=((rf"scalar{G2}(?:cheap\w*|efficien\w*|one (?:backward )?pass|single (?:backward )?pass|same cost|"
              rf"fast\w*)"),
              (rf"(?:full )?jacobian{G2}(?:expensive|costl\w*|\bm\b (?:backward )?passes|one (?:backward )?pass per|"
              rf"m times|slow\w*|memory)")),
         neg=(rf"jacobian{G}(?:(?:as |just as |equally )?cheap\w*|same cost|as fast|one (?:backward )?pass\b(?! per| for))",),
         says_pos="a scalar keeps backpropagation cheap; a full Jacobian costs one pass per output",
         says_neg="a full Jacobian costs no more than one backward pass"),
    # -- Q-linattn -----------------------------------------------------------------------------------
    Prop("linattn.not-equivalent",
         pos=(r"different (?:function|output|outputs|result|results|values?|answer|attention|model)",
              r"\b(?:outputs?|results?|values?|functions?|answers?)\b[^.;]{0,25}?\b(?:different|differ|differs)\b",
              r"\bdiffers? from (?:the )?(?:softmax|standard|regular|original|normal|usual)",
              r"(?:approximat\w*)", rf"(?:changes?|alters?){G}(?:function|output|result)",
              r"softmax[^.;]{0,40}?(?:nonlinear|non-linear)"),
         neg=((r"\b(?:same|identical|equivalent|equal)\s+(?:function|output|outputs|result|results|answer|attention|"
              r"values?|map|thing|computation)"),
              (r"\b(?:is|are|computes?|gives?|returns?|yields?|produces?)(?:\s+not|n't)?\s+(?:exactly\s+|mathematically\s+)?(?:the\s+)?"
              r"(?:same|identical|equivalent)\b"),
              r"\bequivalent to (?:softmax|standard|the original|regular|normal|attention)",
              r"softmax[^.;]{0,40}?(?:commut\w*|factor\w*|distribut\w*|decompos\w*|associat\w*)"),
         exclude=(r"same (?:cost|complexity|order|time|memory)",),
         says_pos="Bob's attention computes a different function", says_neg="Bob's attention computes the same function"),
    # -- Q-align -------------------------------------------------------------------------------------
    Prop("align.cells",
         pos=((rf"(?:cell|entry|element|\(i, ?j\)|pixel|square){G2}(?:weight|attention|how much|attends?){G2}"
              rf"(?:target|output|translat\w*|generat\w*){G2}(?:source|input)"),
              rf"rows?{G}(?:sum|add up){G}(?:to )?(?:1|one)\b"),
         exclude=(r"grey|gray|white|share",),
         says_pos="a cell is the weight of target step i on source word j"),
    Prop("align.one-to-one",
         pos=((rf"(?:one|single|a|only one)\s+(?:bright|white|high|hot|light|dominant|strong)\s+(?:cell|spot|entry|square|"
              rf"pixel|value){G2}(?:align\w*|correspond\w*|translat\w*|one[- ]to[- ]one|single|one source|maps?)"),
              r"one[- ]to[- ]one"),
         says_pos="a row with one bright cell marks a one-to-one alignment"),
    Prop("align.spread",
         pos=((rf"(?:several|multiple|many|spread|diffuse\w*|grey|gray|distributed){G}(?:cells?|source words|entries|"
              rf"squares|columns){G2}(?:several|multiple|reorder\w*|one[- ]to[- ]many|many|context|compound|depend\w*|"
              rf"draws?|combin\w*|more than one)"),
              r"one[- ]to[- ]many|many[- ]to[- ]one"),
         says_pos="a row with several non-zero cells draws on several source words"),
    Prop("align.why-grey",
         pos=((rf"(?:sum|add up|total|normali[sz]\w*|softmax){G}(?:to )?(?:1|one)?{G2}(?:grey|gray|split\w*|shar\w*|"
              rf"can't be white|cannot be white|only one|less than 1|dimmer)"),
              rf"(?:grey|gray){G2}(?:shar\w*|split\w*|sum to (?:1|one)|softmax|normali[sz]\w*|divid\w*)",
              rf"(?:white|bright\w*){G2}(?:because|since|as|for){G}(?:sums?|adds? up|normali[sz]\w*|total|shar\w*)"),
         neg=(rf"(?:several|multiple|many|spread|two|more)\b{G}white",),
         says_pos="only single-cell rows can be white because a row's weights sum to 1",
         says_neg="a row with several cells can have white cells"),
    # -- Q-diffusion ---------------------------------------------------------------------------------
    Prop("diffusion.bound",
         pos=(r"log ?p(?:_?\\?theta|_?θ)?\(x_?\{?0\}?\) ?(?:≥|>=|\\geq?)", r"(?:≤|<=|\\leq?) ?log ?p",
              rf"(?:kl|dropped term|divergence){G}(?:non-?negative|≥ ?0|>= ?0|\\geq? ?0|always positive|positive)",
              rf"(?:elbo|bound|objective|it){G}lower[- ]bound"),
         neg=(rf"(?:elbo|bound){G}upper[- ]bound",),
         says_pos="log p(x0) >= ELBO since the dropped KL term is non-negative"),
    Prop("diffusion.intractable",
         pos=(r"intractab\w*", rf"(?:posterior|integral|marginal){G2}(?:hard|impossible|expensive|infeasible)"),
         neg=(rf"(?:posterior|integral|marginal){G}(?:tractable|computable|comput\w*|evaluat\w*|calculat\w*|closed[- ]form)",),
         says_pos="that KL needs an intractable posterior over x_{1:T}"),
    Prop("diffusion.LT",
         pos=(r"independent of x_?\{?0", (rf"(?:contribut\w*|matters?|affects?){G}(?:little|negligibl\w*|small|"
              r"nothing much)"), r"negligibl\w*",
              (r"(?#fixed)\b(?:barely|hardly|scarcely|little|not much)\s+(?:\w+\s+)?(?:matters?|contribut\w*|affects?|"
               r"influenc\w*|helps?|changes?)")),
         neg=(r"depends? on x_?\{?0",),
         nuance=((r"(?:learnable|trainable|free|learned|model) (?:parameters|weights|params)", False),
                 (r"\b(?:learnable|trainable|parameters|params)\b", False),
                  (r"depends? on (?:θ|\\theta|theta|the (?:model|network|parameters)|any parameter)", False),
                  (rf"(?:gradient|derivative){G}(?:is )?(?:zero|0)\b", True),
                  (r"(?:constant|fixed)[^.;]{0,40}?(?:w\.?r\.?t\.?|with respect to|in) (?:θ|\\theta|theta|the parameters)",
                   True),
                  (r"(?:nothing|no parameters?) to (?:learn|train|optimi[sz]e)", True)),
         says_pos="L_T is dropped because x_T is independent of x0 and it contributes little",
         says_neg="L_T depends on x0",
         says_nuance="L_T is dropped because it has no learnable parameters (zero gradient)"),
    # -- Q-gen ---------------------------------------------------------------------------------------
    Prop("gen.ae-prior",
         pos=((rf"{AE}{G2}(?:garbage|junk|rubbish|mess|noise|nonsense|unrealistic|unrecogni[sz]\w*|blurry|blobs?|meaningless|poor|bad|invalid|"
              rf"implausible|not (?:look )?like digits|out of distribution|off the manifold)"),
              rf"(?#fixed){AE}{G2}(?:don't|do not|doesn't|does not|never|not|no longer) (?:look|resembl)\w*",
              (rf"\bvae\w*{G2}(?:realistic|plausible|good|meaningful|valid|look like (?:real )?digits|recogni[sz]able)"
              rf"(?: samples| digits| images)?")),
         neg=(rf"{AE}{G2}\b(?:realistic|plausible|good|meaningful|valid|convincing)\b",),
         says_pos="random latents decoded by a plain AE are not realistic; a VAE's prior samples are",
         says_neg="random latents decoded by a plain autoencoder give realistic samples"),
    Prop("gen.latent-gap",
         pos=((rf"{AE}{G2}(?:latent|codes?){G2}(?:unregulari[sz]\w*|arbitrar\w*|holes?|gaps?|no prior|irregular\w*|"
              rf"unstructured|anywhere|scattered)"),),
         neg=(rf"{AE}{G2}(?:latent|codes?){G2}(?:regulari[sz]ed|follows?|matches?|gaussian)",
              rf"{AE}{G2}(?:regulari[sz]\w*|constrain\w*){G}(?:latent|codes?)",
              rf"(?:latent|codes?){G}{AE}{G}(?:regulari[sz]ed|follows?|matches?|gaussian)"),
         says_pos="a plain autoencoder's latent space is not regularized",
         says_neg="a plain autoencoder's codes follow N(0, I)"),
)

PROP_BY_CLAIM = {p.claim: p for p in PROPOSITIONS}


# -- structured claims (orders, sequences, trends): data in structure.toml, loaded by structure.py --------------
from .structure import OrderClaim, SequenceClaim, TrendClaim
from .structure import load as _load_structure

_S = _load_structure()
ROLE_CUES: dict[str, dict[str, tuple[str, ...]]] = _S.roles
ASPECT_CUES: dict[str, tuple[tuple[str, str], ...]] = _S.aspects
DEFAULT_ASPECT: dict[str, str] = _S.default_aspect
ORDERS: tuple[OrderClaim, ...] = _S.orders
SYMBOLS: dict[str, dict[str, str]] = _S.symbols
SEQUENCES: tuple[SequenceClaim, ...] = _S.sequences
TRENDS: tuple[TrendClaim, ...] = _S.trends


# Weighted cue terms per family (on top of TF-IDF over the catalogue's text).
FAMILY_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "Q-seq": ((r"\brnns?\b|recurren\w*|\blstm", 1.0), (r"transformer", 0.6), (r"sequence length|\bt\b sequential", 0.5),
              (r"layer ?norm|feed[- ]?forward|per[- ]token|position[- ]?wise", 0.6), (r"kv[- ]?cache", 0.8),
              (r"t ?\\?(?:cdot|\*|·)? ?l ?\\?(?:cdot|\*|·)? ?n\^?2|t\^2|t\s*\\ln", 0.8), (r"sequential steps?", 0.6)),
    "Q-lookup": ((r"\bkeys?\b", 0.5), (r"\bquer(?:y|ies)\b", 0.4), (r"\bvalues?\b", 0.2), (r"v_?\{?[jab]\b", 1.2),
                 (r"k_?\{?[ijab]\b", 1.0), (r"one[- ]hot|(?:almost|nearly|close to) (?:1|one)\b", 0.4),
                 (r"way (?:bigger|larger)|much (?:bigger|larger)|largest score", 0.4), (r"orthonormal", 0.8), (r"look-?up|key[- ]value memory", 0.8),
                 (r"\bbeta\b|β", 0.3), (r"dominat\w*", 0.4)),
    "Q-elbo": ((r"\belbo\b|evidence lower bound", 1.0), (r"\bvae\b|variational", 0.5), (r"\bkl\b|kullback", 0.4),
               (r"log ?p\(x ?\| ?z\)|q\(z ?\| ?x\)", 1.0), (r"reconstruction", 0.3), (r"regulari[sz]\w*", 0.3),
               (r"importance[- ]sampl\w*", 0.4)),
    "Q-minmax": ((r"f\(p, ?q\)|\bpq\b|p ?\\?cdot ?q|p\s*\*\s*q", 1.0), (r"min-?max|minimax", 0.6),
                 (r"descent[- ]?ascent|\bgda\b", 1.0), (r"saddle|nash|equilibri\w*", 0.5),
                 (r"alternating|simultaneous|extragradient|optimistic", 0.6), (r"\beta\b|η|step[- ]?size", 0.4),
                 (r"cycl\w*|orbit\w*|oscillat\w*|period\w*", 0.4), (r"^\s*\|?\s*[pq]\s*[|\t:=]", 0.6)),
    "Q-latent": ((r"bottleneck", 0.8), (r"linear probe|\bprobe\b", 1.0), (r"latent (?:size|dim\w*|width)", 0.8),
                 (r"\bh\b", 0.3), (r"plateau\w*|saturat\w*|overfit\w*", 0.4), (r"accura\w*", 0.3),
                 (r"auto-?encoder", 0.2)),
    "Q-depth": ((r"universal approximat\w*|\buat\b", 1.0), (r"hidden layer", 0.5), (r"deep\w*|depth", 0.4),
                (r"shallow", 0.5), (r"sawtooth|linear regions?|2\^k", 1.0), (r"\bunits\b|neurons", 0.3),
                (r"relu", 0.2), (r"continuous (?:function|target)", 0.5)),
    "Q-cnn": ((r"\bcnns?\b|convolution\w*", 0.5), (r"\bmlps?\b|fully[- ]connected", 0.4), (r"parameters|weights", 0.2),
              (r"shift\w*|translat\w*", 0.3), (r"max-?pool\w*|pooling", 0.3), (r"\blinear\b", 0.2),
              (r"kernel|filter", 0.2)),
    "Q-bias": ((r"inductive bias\w*|\bbias\w*|\bprior\b", 0.6), (r"equivarian\w*|invarian\w*", 0.7),
               (r"weight sharing", 0.4), (r"permut\w*", 0.6), (r"less data|data[- ]efficien\w*|fewer (?:examples|samples)",
                                                                  0.6)),
    "Q-ema": ((r"moving average|\bema\b|exponential\w*", 0.8), (r"\badam\b", 0.6), (PLAIN_AVG, 0.8),
              (r"momentum|first moment|second moment", 0.5), (r"gradient noise|noise|variance", 0.3),
              (r"adagrad|1/sqrt\(t\)", 0.5), (r"landscape|optimum (?:jumps|moves|changes)", 0.4), (r"\bbeta", 0.2)),
    "Q-scalar": ((r"backward\s*\(\s*\)|\.backward|backward", 0.8), (r"scalar", 0.8), (r"jacobian", 0.8),
                 (r"grad_outputs|vector[- ]jacobian|\bvjp\b", 1.0), (r"autograd|pytorch|torch", 0.4)),
    "Q-linattn": ((r"\bbob\w*", 1.0), (r"softmax", 0.3), (r"k\^\{?t\}? ?v|k\^\{?\\?top\}? ?v|qk\^\{?t|q ?k\^", 0.8),
                  (r"n\^2 ?\*? ?d|n ?\*? ?d\^2", 0.8), (r"linear attention", 0.8), (r"associativ\w*", 0.4),
                  (r"same function|equivalent", 0.3)),
    "Q-align": ((r"alignment\w*|align\w*", 0.8), (r"attention (?:map|matrix|weights)|heat ?map", 0.6),
                (r"source (?:word|sentence|token)|target (?:word|step|token)", 0.8), (r"\brows?\b|\bcells?\b", 0.3),
                (r"bright|white|grey|gray|dark", 0.4), (r"translat\w*", 0.3)),
    "Q-diffusion": ((r"diffusion|\bddpm\b", 1.0), (r"\bl_?\{?t\}?\b|l_\{?t\}?|l_t", 0.6), (r"x_?\{?t\}?|x_?\{?0\}?", 0.3),
                    (r"forward process|reverse process|noise schedule|denois\w*", 0.6), (r"markov", 0.3),
                    (r"x_?\{?1 ?: ?t\}?", 0.6)),
    "Q-gen": ((r"generat\w*|sampl\w*", 0.4), (r"random latents?|n\(0, ?i\)|z ?\\sim|z ?~", 0.6),
              (r"realistic|plausible", 0.6), (r"plain auto-?encoder|\bae\b", 0.6), (r"\bvae\b", 0.3),
              (r"interpolat\w*", 0.4), (r"manifold", 0.3), (r"latent (?:space|gap|codes?)", 0.3)),
}

# Extra domain words per family, added to the family's TF-IDF document (the catalogue's text is terse).
FAMILY_WORDS: dict[str, str] = {
    "Q-seq": "recurrent neural network rnn lstm gru transformer self-attention sequence length layers width hidden "
             "size time memory complexity cost training inference test time kv cache sequential parallel steps "
             "layernorm layer norm feed-forward mlp block token position quadratic linear order big-o",
    "Q-lookup": "attention key value query softmax weights dot product score dominates largest copy retrieve "
                "lookup memory average orthonormal keys beta temperature one-hot output v_j k_j v_a v_b margin",
    "Q-elbo": "vae variational autoencoder elbo evidence lower bound log-likelihood log p(x) kl divergence "
              "reconstruction term regularization regularizer prior posterior encoder decoder jensen",
    "Q-minmax": "min max game minimax saddle point equilibrium nash gradient descent ascent gda step size eta "
                "learning rate alternating simultaneous updates cycle orbit oscillate converge diverge table p q",
    "Q-latent": "autoencoder bottleneck latent dimension code size width h linear probe frozen encoder downstream "
                "classification accuracy overfitting plateau saturate increase decrease capacity",
    "Q-depth": "universal approximation theorem hidden layer shallow deep depth width neurons units relu "
               "continuous function sawtooth linear regions exponential efficiency expressivity",
    "Q-cnn": "convolutional neural network cnn mlp fully connected multilayer perceptron parameters weights kernel "
             "filter pooling max-pooling shift translation pixels images digits linear nonlinear activation relu",
    "Q-bias": "inductive bias prior assumption weight sharing locality translation equivariance invariance "
              "pooling data efficiency fewer examples permutation permuted pixels wrong bias mlp cnn",
    "Q-ema": "adam optimizer moving average exponential ema momentum first moment second moment plain average "
             "mean of past gradients noise variance adapt react landscape changes beta adagrad",
    "Q-scalar": "pytorch autograd backward scalar loss vector output tensor jacobian vector-jacobian product vjp "
                "grad_outputs gradient argument error runtimeerror backpropagation cost reverse mode",
    "Q-linattn": "bob linear attention softmax attention q k v keys values queries associativity reorder product "
                 "k transpose v cost complexity n d sequence length head dimension equivalent same function",
    "Q-align": "attention map alignment translation source word target word row column cell bright white grey "
               "weights sum to one reordering one-to-one one-to-many encoder decoder heatmap",
    "Q-diffusion": "diffusion ddpm denoising forward process reverse process noise schedule x_t x_0 l_t kl term "
                   "bound elbo intractable posterior markov chain gaussian beta_t parameters learnable",
    "Q-gen": "generate generation samples sampling random latent prior n(0, i) plain autoencoder vae decoder "
             "realistic digits manifold latent space regularized holes interpolation",
}
