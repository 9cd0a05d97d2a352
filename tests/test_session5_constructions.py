"""Constructions the conversation reader learnt in session 5 (issue 19), from the retired held-out part (tune part 27)
and the blind batches s5a/s5b (tune parts 28–29). Each case is the form, not the sentence: a fault said as a verb
with a failed result, a count short at arrival, a dialect yes with an amount, a report of paying that closes an old
request, a counter-offer on a refund, a refusal that only insists on the normal way, a return named as the
consequence of a refused remedy. Every case failed on main 80aea4b (the reader as session 4 left it)."""
from __future__ import annotations

import pytest

from tradeshield.conversation.reader import read_conversation


@pytest.fixture(autouse=True)
def _rules_alone(monkeypatch):
    """The rules' own reading (the learned finder off: tests/test_event_finder.py runs these with it on)."""
    monkeypatch.setenv("TRADESHIELD_EVENT_FINDER", "0")


def kinds(msgs, role="seller"):
    """[(kind, by)] for [(me|them, text)]."""
    evs = read_conversation([{"role": r, "text": t, "lines": [i + 1, i + 1]} for i, (r, t) in enumerate(msgs)], role=role)
    return sorted((e["kind"], e["by"]) for e in evs)


@pytest.mark.parametrize("role,msgs,want", [
    # --- who went the normal way: a report of paying closes the request made before it
    ("buyer", [("me", "能先发货吗，我收到确认没问题再付款"), ("them", "这样不行"), ("me", "那就按平台流程，付款了"),
               ("them", "好的，马上安排发货")],
     [("delivery-promise", "them"), ("ship-before-pay", "me")]),
    ("buyer", [("me", "Can you send it first? I'll pay when it arrives."), ("them", "No, payment first please."),
               ("me", "Fine, paid.")],
     [("ship-before-pay", "me")]),
    # a request of one's own just refused: 好吧 gives in to the refusal, it takes no older terms of theirs
    ("seller", [("me", "先交500定金锁时间 中途不上了定金不退"), ("them", "能先上一节试试 觉得好再交钱嘛"),
                ("me", "试听半小时免费 正课都得先付"), ("them", "好吧 定金转了")],
     [("deposit-terms", "me"), ("ship-before-pay", "them")]),
    # a message that only insists on the normal way puts nothing up
    ("seller", [("me", "送可以 但得先在闲鱼拍"), ("them", "到时候我直接微信转你380得了"), ("me", "还是闲鱼拍吧 我改好价了"),
                ("them", "好吧")],
     [("off-platform", "them")]),
    # --- a refusal with another way is a counter-offer, not an acceptance
    ("seller", [("them", "我要仅退款"), ("me", "仅退款不同意，可以退货退款")],
     [("refund-refused", "me"), ("refund-request", "them")]),
    # a refund granted with another amount than asked counters it; a smaller discount granted is taken
    ("seller", [("them", "那也不是我的问题呀 补我50吧"), ("me", "补30吧 我也挺冤的 包装都加厚了")],
     [("refund-request", "them")]),
    # 你看呢 puts the clause before it up for acceptance
    ("buyer", [("them", "客服建议我们各退一步 你看呢"), ("me", "可以 你把采集做完我再补200")],
     [("agreement", "me")]),
    # --- the object: 退X的钱 is money, not goods; 不走平台 leaves the platform; 多转200 is an offer, not a mistake
    ("buyer", [("me", "要么补发，要么退裤子的钱")], [("refund-request", "me")]),
    ("seller", [("them", "那你点击链接处理一下"), ("them", "不走平台我给你多转200")],
     [("fake-service", "them"), ("off-platform", "them")]),
    # --- a return named as the consequence of a refused remedy is that remedy's condition (README, session 4)
    ("seller", [("them", "那也不是我的问题呀 补我50吧 不然我就申请退货")], [("refund-request", "them")]),
    # --- promises: the goods after payment (我给你发卡密), dialect time words; none on a scam's unfreeze condition
    ("buyer", [("them", "平台手续费高，你直接转我，我给你发卡密")], [("delivery-promise", "them"), ("off-platform", "them")]),
    ("seller", [("me", "齐嘅 听日落楼寄顺丰")], [("delivery-promise", "me")]),
    ("buyer", [("them", "你点我发的这个链接做个解冻验证 解冻了马上发")], [("fake-service", "them")]),
    # --- faults as a verb with a failed result, a count short at arrival, a warning shown
    ("seller", [("them", "车接着了 变速拨不到最小那个盘")], [("defect-claim", "them"), ("receipt-ack", "them")]),
    ("seller", [("them", "到了 数了一下才19件")], [("defect-claim", "them"), ("partial-delivery", "them"),
                                                 ("receipt-ack", "them")]),
    ("buyer", [("me", "用了两周突然提示密码错误 登不上了")], [("defect-claim", "me")]),
    # --- a dialect yes with the amount settles the price
    ("buyer", [("me", "520好伐"), ("them", "好额 520两包拿走")], [("discount-request", "me"), ("price-agreed", "them")]),
    ("buyer", [("me", "1600行不"), ("them", "1600要不得 最低1800"), ("me", "可 1800")],
     [("discount-refused", "them"), ("discount-request", "me"), ("price-agreed", "me")]),
    # --- 先V…再交钱: ship (or serve) before paying, whatever the service
    ("seller", [("them", "要不你先翻 我看了满意再转钱")], [("ship-before-pay", "them")]),
    # --- a scammer's threat after their own lure is the script too
    ("seller", [("them", "刚给你卡上转了 手一抖多打了800 你看到了微信把多的800退我下嘛"),
                ("them", "转账截图发你了 赶紧退 不退我就报警说你侵占")],
     [("fake-service", "them"), ("fake-service", "them"), ("off-platform", "them"), ("refund-request", "them"),
      ("threat", "them")]),
    # --- a time after a yes is no price quoted: the yes accepts the request
    ("buyer", [("me", "could you drop them off? I'm in Westside, no car"), ("them", "sure, I can swing by Saturday around 10")],
     [("agreement", "them"), ("delivery-promise", "them")]),
    # a one-character echo of the action asked for (「送可以」 after 「能帮忙送一下不」)
    ("seller", [("them", "能帮忙送一下不 我加30路费 送到了我看看没问题再付款"), ("me", "送可以 加30 周六下午给你送过去")],
     [("agreement", "me"), ("delivery-promise", "me"), ("ship-before-pay", "them")]),
    # a refusal that puts another way up (走验货担保) is accepted by restating it
    ("buyer", [("me", "能先寄去鉴定吗 鉴定完没问题我再付钱"), ("them", "不行噢 先拍 走闲鱼验货担保 钱在平台"),
               ("me", "行 那走验货担保")],
     [("agreement", "me"), ("ship-before-pay", "me")]),
    # --- a service's first session and its meeting number are its delivery
    ("seller", [("me", "周三晚上七点第一节 腾讯会议号上课前发你")], [("delivery-promise", "me")]),
    ("buyer", [("them", "got it. first lesson Thursday 5pm, I'll email the zoom link the night before")],
     [("delivery-promise", "them")]),
    # --- the platform's service "cannot", only ours / only by scanning: the scam's script
    ("seller", [("them", "官方热线处理不了 只有我们专员能操作")], [("fake-service", "them")]),
    # --- instructions for the work are requirements; not what was bought is a defect
    ("seller", [("them", "只充点券 别的别碰 也别加好友")], [("requirement", "them")]),
    ("buyer", [("me", "瘦脸别太假 路人都P掉 肤色统一偏暖")], [("requirement", "me")]),
    ("buyer", [("me", "鞋子到了 但是是41的 我拍的42")], [("defect-claim", "me"), ("receipt-ack", "me")]),
    ("buyer", [("me", "第3张下巴P成锥子了")], [("defect-claim", "me")]),
    # "I'll take both" buys at the price asked (no amount: agreement)
    ("seller", [("me", "yes, two floor seats, 320 each"), ("them", "I'll take both! can we sort it on WhatsApp? easier for me")],
     [("agreement", "them"), ("off-platform", "them")]),
    # --- English: a refund dropped is no refund request; "got the X" with a part missing
    ("buyer", [("me", "yep, it pairs now, forget the refund")], []),
    ("buyer", [("me", "got the crate, thanks! but the grooming kit isn't in the bag")],
     [("defect-claim", "me"), ("partial-delivery", "me"), ("receipt-ack", "me")]),
])
def test_session5_constructions(role, msgs, want):
    assert kinds(msgs, role) == want
